"""The metric names of the golden expositions (test/golden/*.txt), with a histogram's _bucket,
_sum and _count series: what rules and dashboards may read."""
import glob
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def golden_names():
    names = set()
    for path in glob.glob(os.path.join(ROOT, "test", "golden", "*.txt")):
        for line in open(path):
            if line.startswith("# TYPE "):
                name, typ = line.split()[2:4]
                names.add(name)
                if typ == "histogram":
                    names.update({name + "_bucket", name + "_sum", name + "_count"})
    return names
