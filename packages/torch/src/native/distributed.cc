// torch.distributed over libtorch's c10d: one default process group per process (like PyTorch's),
// a TCPStore for the rendezvous and ProcessGroupGloo for the collectives. Compiled for real only
// when Gloo's headers were found at configure time (COPPER_TORCH_GLOO, see scripts/libtorch.mjs);
// otherwise every function but distInfo throws, and distInfo says why.
//
// The collectives block the calling JS thread until they finish or fail (a peer that died closes
// its sockets; one that hangs trips the group's timeout), which is what a training step wants.
#include "common.h"

#ifdef COPPER_TORCH_GLOO
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#endif

#include <chrono>
#include <cstdlib>
#include <memory>

namespace ct {

// A failure of a collective or of the rendezvous: arrives in JS as a DistributedError.
struct DistError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// First line of a c10d/Gloo message, without Gloo's "[/path/file.cc:123] " source prefix.
static std::string OneLine(const std::string& what) {
  std::string s = CleanMessage(what.c_str());
  size_t nl = s.find('\n');
  if (nl != std::string::npos) s = s.substr(0, nl);
  if (!s.empty() && s[0] == '[') {
    size_t close = s.find("] ");
    if (close != std::string::npos && s.find(':') < close) s = s.substr(close + 2);
  }
  return s;
}

template <Fn f>
Napi::Value DistGuarded(const Napi::CallbackInfo& info) {
  try {
    return f(info);
  } catch (const Napi::Error&) {
    throw;
  } catch (const DistError& e) {
    throw MakeError(info.Env(), "distributed", e.what());
  } catch (const ArgumentError& e) {
    throw MakeError(info.Env(), "argument", e.what());
  } catch (const c10::Error& e) {
    throw MakeError(info.Env(), "distributed", OneLine(e.what_without_backtrace()));
  } catch (const std::exception& e) {
    throw MakeError(info.Env(), "distributed", OneLine(e.what()));
  }
}

#define CT_DIST_EXPORT(exports, name) exports.Set(#name, Napi::Function::New<::ct::DistGuarded<name>>(exports.Env(), #name))

#ifdef COPPER_TORCH_GLOO

struct DistState {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroup> pg;
  int rank = -1;
  int size = 0;
};
// Never destroyed at exit: tearing down Gloo's threads while a peer is gone could block the exit.
static DistState* g_dist = new DistState();

static c10d::ProcessGroup& Group() {
  if (!g_dist->pg) throw DistError("the default process group is not initialized: call initProcessGroup() first");
  return *g_dist->pg;
}

static void Wait(const c10::intrusive_ptr<c10d::Work>& work) { work->wait(); }

// distInfo() -> { available, backends, reason }
static Napi::Value distInfo(const Napi::CallbackInfo& info) {
  auto o = Napi::Object::New(info.Env());
  o.Set("available", true);
  auto b = Napi::Array::New(info.Env(), 1);
  b.Set(0u, "gloo");
  o.Set("backends", b);
  o.Set("reason", "");
  return o;
}

// distInit(backend, host, port, rank, worldSize, timeoutMs)
static Napi::Value distInit(const Napi::CallbackInfo& info) {
  std::string backend = info[0].As<Napi::String>();
  std::string host = info[1].As<Napi::String>();
  int64_t port = I(info[2]);
  int rank = static_cast<int>(I(info[3]));
  int size = static_cast<int>(I(info[4]));
  auto timeout = std::chrono::milliseconds(I(info[5]));
  if (g_dist->pg) throw DistError("the default process group is already initialized (call destroyProcessGroup() first)");
  if (backend != "gloo") throw ArgumentError("backend '" + backend + "' is not available in this build (available: gloo)");
  c10d::TCPStoreOptions so;
  so.port = static_cast<std::uint16_t>(port);
  so.isServer = rank == 0;
  so.numWorkers = static_cast<std::size_t>(size);
  so.waitWorkers = true;
  so.timeout = timeout;
  c10::intrusive_ptr<c10d::Store> store;
  try {
    store = c10::make_intrusive<c10d::TCPStore>(host, so);
  } catch (const std::exception& e) {
    throw DistError("rendezvous at " + host + ":" + std::to_string(port) + " failed: " + OneLine(e.what()));
  }
  auto prefixed = c10::make_intrusive<c10d::PrefixStore>("default_pg", store);
  auto opts = c10d::ProcessGroupGloo::Options::create(timeout);
  const char* ifname = std::getenv("GLOO_SOCKET_IFNAME");
  if (ifname && *ifname) {
    std::string names(ifname);
    size_t start = 0;
    while (start <= names.size()) {
      size_t comma = names.find(',', start);
      std::string name = names.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      if (!name.empty()) opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(name));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  } else if (host == "127.0.0.1" || host == "localhost" || host == "::1") {
    // Every rank is on this machine: Gloo's pairs connect over loopback too.
    opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname(host));
  } else {
    opts->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
  }
  opts->threads = 2;
  c10::intrusive_ptr<c10d::ProcessGroup> pg;
  try {
    pg = c10::make_intrusive<c10d::ProcessGroupGloo>(prefixed, rank, size, opts);
  } catch (const std::exception& e) {
    throw DistError("connecting the " + std::to_string(size) + " ranks failed (rank " + std::to_string(rank) + ", timeout " + std::to_string(timeout.count()) +
                    " ms; did every rank start?): " + OneLine(e.what()));
  }
  g_dist->store = store;
  g_dist->pg = pg;
  g_dist->rank = rank;
  g_dist->size = size;
  return info.Env().Undefined();
}

static Napi::Value distDestroy(const Napi::CallbackInfo& info) {
  g_dist->pg.reset();
  g_dist->store.reset();
  g_dist->rank = -1;
  g_dist->size = 0;
  return info.Env().Undefined();
}

static void CheckDense(const at::Tensor& t, const char* what) {
  if (!t.device().is_cpu()) throw ArgumentError(std::string(what) + ": the gloo backend here takes CPU tensors");
  if (t.is_sparse()) throw ArgumentError(std::string(what) + ": sparse tensors are not supported");
}

// Runs `op` on one contiguous buffer holding all of `ts` (same dtype), then copies the result back.
template <typename F>
static void OnFlat(std::vector<at::Tensor>& ts, F op) {
  if (ts.size() == 1 && ts[0].is_contiguous()) {
    std::vector<at::Tensor> one{ts[0]};
    op(one);
    return;
  }
  std::vector<at::Tensor> flat;
  flat.reserve(ts.size());
  for (auto& t : ts) flat.push_back(t.reshape({-1}));
  std::vector<at::Tensor> buf{at::cat(flat)};
  op(buf);
  int64_t off = 0;
  for (auto& t : ts) {
    int64_t n = t.numel();
    t.copy_(buf[0].narrow(0, off, n).view(t.sizes()));
    off += n;
  }
}

static std::vector<at::Tensor> SameDtype(const Napi::Value& v, const char* what) {
  auto ts = Tensors(v);
  if (ts.empty()) throw ArgumentError(std::string(what) + ": no tensors");
  for (auto& t : ts) {
    CheckDense(t, what);
    if (t.scalar_type() != ts[0].scalar_type()) throw ArgumentError(std::string(what) + ": the tensors must share one dtype");
  }
  return ts;
}

// distAllReduce(tensors, op): in place; several tensors travel as one buffer.
static Napi::Value distAllReduce(const Napi::CallbackInfo& info) {
  auto& pg = Group();
  auto ts = SameDtype(info[0], "allReduce");
  std::string op = info[1].As<Napi::String>();
  c10d::AllreduceOptions o;
  bool avg = false;
  if (op == "sum") o.reduceOp = c10d::ReduceOp::SUM;
  else if (op == "avg") o.reduceOp = c10d::ReduceOp::SUM, avg = true;  // Gloo has no AVG: sum, then divide
  else if (op == "product") o.reduceOp = c10d::ReduceOp::PRODUCT;
  else if (op == "max") o.reduceOp = c10d::ReduceOp::MAX;
  else if (op == "min") o.reduceOp = c10d::ReduceOp::MIN;
  else throw ArgumentError("allReduce: unknown op '" + op + "' (sum, avg, product, max, min)");
  if (avg && !at::isFloatingType(ts[0].scalar_type())) throw ArgumentError("allReduce: op 'avg' needs a floating-point tensor");
  at::NoGradGuard ng;
  OnFlat(ts, [&](std::vector<at::Tensor>& b) {
    Wait(pg.allreduce(b, o));
    if (avg) b[0].div_(g_dist->size);
  });
  return info.Env().Undefined();
}

// distBroadcast(tensors, src): in place.
static Napi::Value distBroadcast(const Napi::CallbackInfo& info) {
  auto& pg = Group();
  auto ts = SameDtype(info[0], "broadcast");
  int64_t src = I(info[1]);
  if (src < 0 || src >= g_dist->size) throw ArgumentError("broadcast: src " + std::to_string(src) + " is not a rank (world size " + std::to_string(g_dist->size) + ")");
  c10d::BroadcastOptions o;
  o.rootRank = src;
  at::NoGradGuard ng;
  OnFlat(ts, [&](std::vector<at::Tensor>& b) { Wait(pg.broadcast(b, o)); });
  return info.Env().Undefined();
}

// distAllGather(t) -> one tensor per rank (same shape and dtype on every rank).
static Napi::Value distAllGather(const Napi::CallbackInfo& info) {
  auto& pg = Group();
  at::Tensor t = T(info[0]);
  CheckDense(t, "allGather");
  at::NoGradGuard ng;
  std::vector<at::Tensor> in{t.contiguous()};
  std::vector<std::vector<at::Tensor>> out(1);
  for (int i = 0; i < g_dist->size; i++) out[0].push_back(at::empty_like(in[0]));
  Wait(pg.allgather(out, in));
  return WrapList(info.Env(), out[0]);
}

static Napi::Value distBarrier(const Napi::CallbackInfo& info) {
  Wait(Group().barrier());
  return info.Env().Undefined();
}

#else  // no Gloo headers at build time

static const char* kNoGloo =
    "torch.distributed is not available: @copper/torch was built without Gloo's headers (Debian/Ubuntu: apt-get install libgloo-dev, then npm run build:native -w packages/torch)";

static Napi::Value distInfo(const Napi::CallbackInfo& info) {
  auto o = Napi::Object::New(info.Env());
  o.Set("available", false);
  o.Set("backends", Napi::Array::New(info.Env(), 0));
  o.Set("reason", kNoGloo);
  return o;
}
static Napi::Value unavailable(const Napi::CallbackInfo&) { throw DistError(kNoGloo); }
static Napi::Value distInit(const Napi::CallbackInfo& info) { return unavailable(info); }
static Napi::Value distDestroy(const Napi::CallbackInfo& info) { return info.Env().Undefined(); }
static Napi::Value distAllReduce(const Napi::CallbackInfo& info) { return unavailable(info); }
static Napi::Value distBroadcast(const Napi::CallbackInfo& info) { return unavailable(info); }
static Napi::Value distAllGather(const Napi::CallbackInfo& info) { return unavailable(info); }
static Napi::Value distBarrier(const Napi::CallbackInfo& info) { return unavailable(info); }

#endif

void InitDistributed(Napi::Env env, Napi::Object exports) {
  CT_DIST_EXPORT(exports, distInfo);
  CT_DIST_EXPORT(exports, distInit);
  CT_DIST_EXPORT(exports, distDestroy);
  CT_DIST_EXPORT(exports, distAllReduce);
  CT_DIST_EXPORT(exports, distBroadcast);
  CT_DIST_EXPORT(exports, distAllGather);
  CT_DIST_EXPORT(exports, distBarrier);
}

}  // namespace ct
