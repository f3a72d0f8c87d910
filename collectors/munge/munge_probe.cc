// The only translation unit that includes <munge.h>.
#include <munge.h>

#include <chrono>
#include <cstdlib>
#include <cstring>

#include "collectors/probes.h"

namespace slurm_exporter {
namespace {

struct CtxFree {
  void operator()(munge_ctx_t c) const { munge_ctx_destroy(c); }
};
using Ctx = std::unique_ptr<std::remove_pointer_t<munge_ctx_t>, CtxFree>;

class LibMungeProbe : public MungeProbe {
 public:
  explicit LibMungeProbe(std::string socket) : socket_(std::move(socket)) {}

  MungeStatus Check() override {
    MungeStatus st;
    st.socket = socket_;
    auto t0 = std::chrono::steady_clock::now();
    Ctx enc(munge_ctx_create()), dec(munge_ctx_create());
    if (!enc || !dec) return Fail(st, EMUNGE_NO_MEMORY, "cannot create munge context");
    if (!socket_.empty()) {
      if (munge_ctx_set(enc.get(), MUNGE_OPT_SOCKET, socket_.c_str()) != EMUNGE_SUCCESS ||
          munge_ctx_set(dec.get(), MUNGE_OPT_SOCKET, socket_.c_str()) != EMUNGE_SUCCESS) {
        return Fail(st, EMUNGE_BAD_ARG, "cannot set munge socket");
      }
    }
    static constexpr char kPayload[] = "slurm_exporter";
    char* cred = nullptr;
    munge_err_t e = munge_encode(&cred, enc.get(), kPayload, sizeof(kPayload));
    if (e != EMUNGE_SUCCESS) {
      std::free(cred);
      return Fail(st, e, munge_ctx_strerror(enc.get()));
    }
    void* buf = nullptr;
    int len = 0;
    e = munge_decode(cred, dec.get(), &buf, &len, nullptr, nullptr);
    std::free(cred);
    bool same = e == EMUNGE_SUCCESS && len == static_cast<int>(sizeof(kPayload)) &&
                std::memcmp(buf, kPayload, sizeof(kPayload)) == 0;
    std::free(buf);
    st.latency_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (e != EMUNGE_SUCCESS) return Fail(st, e, munge_ctx_strerror(dec.get()));
    if (!same) return Fail(st, EMUNGE_BAD_CRED, "decoded payload differs");
    st.ok = true;
    return st;
  }

 private:
  static MungeStatus Fail(MungeStatus st, munge_err_t e, const char* msg) {
    st.ok = false;
    st.error_code = static_cast<int>(e);
    st.message = msg ? msg : munge_strerror(e);
    return st;
  }
  std::string socket_;
};

}  // namespace

std::unique_ptr<MungeProbe> NewLibMungeProbe(std::string socket) {
  return std::make_unique<LibMungeProbe>(std::move(socket));
}

}  // namespace slurm_exporter
