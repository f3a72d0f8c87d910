#include "common/gzip.h"

#include <zlib.h>

#include <cctype>

namespace slurm_exporter {

std::string Gzip(std::string_view data, int level) {
  z_stream zs{};
  if (deflateInit2(&zs, level, Z_DEFLATED, 15 + 16 /* gzip header */, 8, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    return "";
  }
  std::string out;
  out.resize(deflateBound(&zs, static_cast<uLong>(data.size())));
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&zs, Z_FINISH);
  size_t n = zs.total_out;
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) return "";
  out.resize(n);
  return out;
}

bool AcceptsGzip(std::string_view ae) {
  // Tokens separated by commas, each "coding[;q=...]"; q=0 refuses.
  size_t start = 0;
  while (start < ae.size()) {
    size_t end = ae.find(',', start);
    if (end == std::string_view::npos) end = ae.size();
    std::string_view tok = ae.substr(start, end - start);
    start = end + 1;
    while (!tok.empty() && std::isspace(static_cast<unsigned char>(tok.front()))) {
      tok.remove_prefix(1);
    }
    std::string_view coding = tok.substr(0, tok.find(';'));
    while (!coding.empty() && std::isspace(static_cast<unsigned char>(coding.back()))) {
      coding.remove_suffix(1);
    }
    if (coding != "gzip" && coding != "*") continue;
    auto q = tok.find("q=");
    if (q != std::string_view::npos) {
      std::string_view qv = tok.substr(q + 2);
      if (qv.rfind("0", 0) == 0 && qv.find_first_of("123456789") == std::string_view::npos) {
        continue;
      }
    }
    return true;
  }
  return false;
}

}  // namespace slurm_exporter
