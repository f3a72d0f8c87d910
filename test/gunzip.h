// Test helper: decompresses a gzip stream of one or more members (as HTTP clients do).
#pragma once

#include <zlib.h>

#include <string>

namespace slurm_exporter::testing {

inline std::string Gunzip(const std::string& in) {
  std::string out;
  size_t pos = 0;
  while (pos < in.size()) {
    z_stream zs{};
    if (inflateInit2(&zs, 15 + 16) != Z_OK) return "<inflateInit failed>";
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data() + pos));
    zs.avail_in = static_cast<uInt>(in.size() - pos);
    char buf[65536];
    int rc;
    do {
      zs.next_out = reinterpret_cast<Bytef*>(buf);
      zs.avail_out = sizeof(buf);
      rc = inflate(&zs, Z_NO_FLUSH);
      out.append(buf, sizeof(buf) - zs.avail_out);
    } while (rc == Z_OK);
    pos += zs.total_in;
    inflateEnd(&zs);
    if (rc != Z_STREAM_END) return "<corrupt gzip>";
  }
  return out;
}

}  // namespace slurm_exporter::testing
