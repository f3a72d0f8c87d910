// Prometheus-style durations ("500ms", "15s", "1m30s", "2h", "1d") to seconds and back.
#pragma once

#include <string>
#include <string_view>

namespace slurm_exporter {

// Parses a duration; returns false (and leaves *seconds alone) on malformed input or a negative
// or empty value. Units: ms, s, m, h, d, w; parts may be concatenated ("1m30s").
bool ParseDuration(std::string_view text, double* seconds);
// Formats seconds the way ParseDuration reads them ("15s", "1m30s", "250ms").
std::string FormatDuration(double seconds);

}  // namespace slurm_exporter
