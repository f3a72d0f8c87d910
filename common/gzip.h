// gzip compression of exposition text (zlib). Concatenated gzip members form one valid gzip
// stream (RFC 1952), which lets a scrape send a body compressed once per poll followed by a
// small tail compressed per scrape.
#pragma once

#include <string>
#include <string_view>

namespace slurm_exporter {

// One gzip member holding `data`; empty string on failure.
std::string Gzip(std::string_view data, int level = 6);
// True when an Accept-Encoding header value accepts gzip.
bool AcceptsGzip(std::string_view accept_encoding);

}  // namespace slurm_exporter
