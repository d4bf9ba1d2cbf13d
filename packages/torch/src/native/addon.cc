// Module entry: registers the functions of each part of the addon.
#include "common.h"

#include <cstdlib>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace ct {

std::atomic<int64_t> g_live{0};
static constexpr int64_t kReportBytes = 16384;

// A plain C finalizer (not node-addon-api's wrapper, which allocates per handle).
static void Finalize(napi_env env, void* data, void* /*hint*/) {
  auto* h = static_cast<Holder*>(data);
  Release(Napi::Env(env), h);
  delete h;
}

void Release(Napi::Env env, Holder* h) {
  if (h->t.defined()) {
    h->t = at::Tensor();
    g_live--;
  }
  if (h->bytes) {
    Napi::MemoryManagement::AdjustExternalMemory(env, -h->bytes);
    h->bytes = 0;
  }
}

Napi::Value Wrap(Napi::Env env, at::Tensor t) {
  auto* h = new Holder();
  if (t.defined() && t.has_storage()) {
    // Tell V8 about the memory it cannot see, so the GC (the backstop for tensors nobody
    // disposed) runs when a loop leaks tensors. Views count their storage again; good enough.
    // Small tensors are left out: the call costs more than they weigh, and the young-generation
    // GC collects their handles soon anyway.
    int64_t n = static_cast<int64_t>(t.storage().nbytes());
    if (n >= kReportBytes) {
      h->bytes = n;
      Napi::MemoryManagement::AdjustExternalMemory(env, n);
    }
  }
  h->t = std::move(t);
  if (h->t.defined()) g_live++;
  napi_value out;
  napi_status st = napi_create_external(env, h, Finalize, nullptr, &out);
  if (st != napi_ok) {
    Release(env, h);
    delete h;
    NAPI_THROW_IF_FAILED(env, st, Napi::Value());
  }
  return Napi::Value(env, out);
}

// libtorch messages end in newlines and sometimes start with a redundant "Error: " (then JS would
// print "Error: Error: ..."); the JS side names the error class itself.
std::string CleanMessage(const char* what) {
  std::string s(what ? what : "libtorch error");
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) s.pop_back();
  size_t start = 0;
  while (start < s.size() && (s[start] == '\n' || s[start] == ' ')) start++;
  while (s.compare(start, 7, "Error: ") == 0) start += 7;
  return s.substr(start);
}

// Per-env (main thread, each worker) reference to the JS error factory.
struct ErrorFactory {
  Napi::FunctionReference fn;
};

Napi::Error MakeError(Napi::Env env, const char* kind, const std::string& message) {
  auto* f = env.GetInstanceData<ErrorFactory>();
  if (f && !f->fn.IsEmpty()) {
    napi_value err = nullptr;
    try {
      err = f->fn.Call({Napi::String::New(env, kind), Napi::String::New(env, message)});
    } catch (const Napi::Error&) {
      err = nullptr;
    }
    if (err) return Napi::Error(env, err);
  }
  return Napi::Error::New(env, message);
}

// setErrorFactory(fn(kind, message) -> Error)
static Napi::Value setErrorFactory(const Napi::CallbackInfo& info) {
  auto* f = info.Env().GetInstanceData<ErrorFactory>();
  if (!f) {
    f = new ErrorFactory();
    info.Env().SetInstanceData(f);
  }
  f->fn = Napi::Persistent(info[0].As<Napi::Function>());
  return info.Env().Undefined();
}

void InitAddon(Napi::Env env, Napi::Object exports) { CT_EXPORT(exports, setErrorFactory); }

}  // namespace ct

// glibc returns every freed block above its (dynamic) mmap threshold to the kernel, so each
// training step page-faults its activations and gradients in afresh. Keeping blocks up to 32 MiB in
// the heap and not trimming it makes forward+backward of the benchmark CNN ~15-20% cheaper in CPU
// time (the same tuning helps Python too; it runs with glibc's defaults). Skipped when the user
// sets glibc's MALLOC_* variables or COPPER_TORCH_MALLOC=default.
static void TuneMalloc() {
#if defined(__GLIBC__)
  const char* opt = std::getenv("COPPER_TORCH_MALLOC");
  if (opt && std::string(opt) == "default") return;
  if (std::getenv("MALLOC_MMAP_THRESHOLD_") || std::getenv("MALLOC_TRIM_THRESHOLD_") || std::getenv("MALLOC_TOP_PAD_")) return;
  mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
  mallopt(M_TRIM_THRESHOLD, 1024 * 1024 * 1024);
  mallopt(M_TOP_PAD, 64 * 1024 * 1024);
#endif
}

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  static bool tuned = false;
  if (!tuned) {
    tuned = true;
    TuneMalloc();
  }
  ct::InitAddon(env, exports);
  ct::InitTensor(env, exports);
  ct::InitOps(env, exports);
  ct::InitNN(env, exports);
  ct::InitSerialize(env, exports);
  ct::InitDispatch(env, exports);
  ct::InitDistributed(env, exports);
  return exports;
}

NODE_API_MODULE(copper_torch, Init)
