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
#include <torch/csrc/distributed/c10d/reducer.hpp>
#include <torch/csrc/autograd/utils/lambda_post_hook.h>
#endif

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <set>
#include <unordered_map>
#include <unordered_set>

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

// ---- DDP's gradient reducer -----------------------------------------------------------------------
// libtorch's own c10d::Reducer (the one PyTorch's DistributedDataParallel drives): a post hook on each
// parameter's gradient accumulator copies the gradient into its bucket as soon as autograd has
// accumulated it, and the bucket's async all-reduce starts as soon as the bucket is full, in bucket
// order, while backward goes on computing the earlier layers; at the end of backward an autograd
// callback waits for every bucket and writes the averaged gradients back. The subclass adds what the
// binding needs on top: which parameters got their hook this iteration (to name unused parameters),
// how many buckets were launched before the last gradient was ready (the overlap), and whether the
// iteration finished.
class CopperReducer : public c10d::Reducer {
 public:
  CopperReducer(std::vector<at::Tensor> params, std::vector<std::vector<size_t>> buckets, std::vector<size_t> limits, c10::intrusive_ptr<c10d::ProcessGroup> pg,
                int64_t cap, bool findUnused, std::unordered_map<size_t, std::string> names, int64_t firstCap)
      : c10d::Reducer(std::move(params), std::move(buckets), std::move(limits), std::move(pg), std::vector<bool>(names.size(), false), cap, findUnused,
                      /*gradient_as_bucket_view=*/false, names, firstCap) {
    ready_.assign(params_.size(), 0);
    for (size_t i = 0; i < grad_accumulators_.size(); i++) {
      auto acc = grad_accumulators_[i];
      if (!acc) continue;
      // runs after the Reducer's own hook on the same accumulator (hooks run in the order added)
      own_hooks_.emplace_back(acc->add_post_hook(std::make_unique<torch::autograd::utils::LambdaPostHook>(
                                  [this, i](const torch::autograd::variable_list& outputs, const torch::autograd::variable_list&) {
                                    OnReady(i);
                                    return outputs;
                                  })),
                              acc);
    }
  }
  ~CopperReducer() noexcept(false) {
    for (auto& h : own_hooks_) h.second->del_post_hook(h.first);
  }

  // DDP's forward: rebuild the buckets once in the order gradients arrived in the first iteration
  // (a broadcast from rank 0, on every rank alike), then expect the hooks of the coming backward.
  bool Prepare(const std::vector<at::Tensor>& outputs) {
    bool rebuilt = rebuild_buckets();
    prepare_for_backward(outputs);
    std::lock_guard<std::mutex> lock(mutex_);
    armed_ = true;
    std::fill(ready_.begin(), ready_.end(), 0);
    readyCount_ = 0;
    launchedBeforeLast_ = 0;
    launchedNow_ = 0;
    return rebuilt;
  }

  struct Outcome {
    bool prepared = false;
    bool finished = true;
    std::vector<size_t> missing;  // parameters whose gradient hook did not run
    size_t overlapped = 0;        // buckets whose all-reduce started before the last gradient was ready
    size_t buckets = 0;
  };
  Outcome Finish() {
    std::lock_guard<std::mutex> lock(mutex_);
    Outcome o;
    o.buckets = buckets_.size();
    o.prepared = armed_;
    if (!armed_) return o;
    armed_ = false;
    // finalize_backward (queued once the last bucket was launched) clears expect_autograd_hooks_
    o.finished = !expect_autograd_hooks_;
    o.overlapped = readyCount_ > 1 ? launchedBeforeLast_ : 0;
    std::unordered_set<size_t> unused(unused_parameters_.begin(), unused_parameters_.end());
    if (!o.finished)
      for (size_t i = 0; i < ready_.size(); i++)
        if (!ready_[i] && !unused.count(i)) o.missing.push_back(i);
    return o;
  }

  std::vector<std::vector<size_t>> Buckets() const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<std::vector<size_t>> out;
    for (const auto& b : buckets_) out.push_back(b.variable_indices);
    return out;
  }

  // Whether an all-reduce this reducer started has failed (a peer died): backward's error is then a
  // distributed one.
  bool Failed() const {
    for (const auto& b : buckets_)
      if (b.future_work && b.future_work->completed() && b.future_work->hasError()) return true;
    return local_used_work_ && local_used_work_->isCompleted() && !local_used_work_->isSuccess();
  }

 private:
  void OnReady(size_t i) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!armed_ || ready_[i]) return;
    ready_[i] = 1;
    readyCount_++;
    launchedBeforeLast_ = launchedNow_;
    launchedNow_ = next_bucket_;
  }

  std::vector<std::pair<uintptr_t, std::shared_ptr<torch::autograd::Node>>> own_hooks_;
  std::vector<char> ready_;
  bool armed_ = false;
  size_t readyCount_ = 0;
  size_t launchedBeforeLast_ = 0;
  size_t launchedNow_ = 0;
};

// The reducers alive now (JS thread only), to tell a failed all-reduce from other backward errors.
static std::set<CopperReducer*>* g_reducers = new std::set<CopperReducer*>();
// Process groups a reducer used: kept alive to the end, like g_dist's (a reducer's finalizer must
// not be the one that tears Gloo down).
static std::vector<c10::intrusive_ptr<c10d::ProcessGroup>>* g_kept = new std::vector<c10::intrusive_ptr<c10d::ProcessGroup>>();

struct ReducerBox {
  std::unique_ptr<CopperReducer> r;
};

static void FreeReducer(ReducerBox* box) {
  if (!box->r) return;
  g_reducers->erase(box->r.get());
  try {
    box->r.reset();
  } catch (...) {
    box->r.release();  // a destructor that throws: leak it rather than abort
  }
}

static CopperReducer& R(const Napi::Value& v) {
  if (!v.IsExternal()) throw Napi::TypeError::New(v.Env(), "expected a reducer handle");
  auto* box = v.As<Napi::External<ReducerBox>>().Data();
  if (!box->r) throw DistError("the reducer was disposed");
  return *box->r;
}

std::string DistBackwardFailure(const std::exception& e) {
  for (auto* r : *g_reducers)
    if (r->Failed()) {
      auto* ce = dynamic_cast<const c10::Error*>(&e);
      return "gradient all-reduce failed during backward on rank " + std::to_string(g_dist->rank) + ": " + OneLine(ce ? ce->what_without_backtrace() : e.what());
    }
  return "";
}

// distReducerNew(params, names, bucketCapBytes, firstBucketBytes, findUnused) -> reducer handle.
// Buckets as DistributedDataParallel makes them: the first iteration one bucket (all gradients,
// reduced once backward is done) unless findUnused, then rebuilt from the order gradients arrived,
// the first bucket up to firstBucketBytes, the others up to bucketCapBytes.
static Napi::Value distReducerNew(const Napi::CallbackInfo& info) {
  auto& pg = Group();
  auto params = Tensors(info[0]);
  auto namesArr = info[1].As<Napi::Array>();
  int64_t cap = I(info[2]);
  int64_t first = I(info[3]);
  bool findUnused = B(info[4]);
  if (params.empty()) throw ArgumentError("Reducer: no parameters that require grad");
  if (cap <= 0 || first <= 0) throw ArgumentError("Reducer: bucket sizes must be positive");
  std::unordered_map<size_t, std::string> names;
  std::unordered_set<const void*> seen;
  for (size_t i = 0; i < params.size(); i++) {
    const auto& p = params[i];
    std::string name = i < namesArr.Length() ? namesArr.Get(static_cast<uint32_t>(i)).ToString().Utf8Value() : std::to_string(i);
    names[i] = name;
    if (!p.requires_grad() || !p.is_leaf()) throw ArgumentError("Reducer: parameter '" + name + "' is not a leaf tensor that requires grad");
    if (!seen.insert(p.unsafeGetTensorImpl()).second) throw ArgumentError("Reducer: parameter '" + name + "' is listed twice");
    CheckDense(p, "Reducer");
  }
  std::vector<size_t> limits = findUnused ? std::vector<size_t>{static_cast<size_t>(first), static_cast<size_t>(cap)} : std::vector<size_t>{SIZE_MAX};
  c10d::verify_params_across_processes(g_dist->pg, params, c10::nullopt);
  auto assignment = c10d::compute_bucket_assignment_by_size(params, limits, std::vector<bool>(params.size(), false));
  auto buckets = std::get<0>(assignment);
  auto sizes = std::get<1>(assignment);
  std::reverse(buckets.begin(), buckets.end());
  std::reverse(sizes.begin(), sizes.end());
  auto box = new ReducerBox();
  box->r = std::make_unique<CopperReducer>(params, buckets, sizes, g_dist->pg, cap, findUnused, names, first);
  g_reducers->insert(box->r.get());
  g_kept->push_back(g_dist->pg);
  (void)pg;
  return Napi::External<ReducerBox>::New(info.Env(), box, [](Napi::Env, ReducerBox* b) {
    FreeReducer(b);
    delete b;
  });
}

// distReducerPrepare(r, outputs) -> whether the buckets were rebuilt now
static Napi::Value distReducerPrepare(const Napi::CallbackInfo& info) {
  auto& r = R(info[0]);
  auto outs = Tensors(info[1]);
  return Napi::Boolean::New(info.Env(), r.Prepare(outs));
}

// distReducerFinish(r) -> { prepared, finished, missing, overlapped, buckets }
static Napi::Value distReducerFinish(const Napi::CallbackInfo& info) {
  auto o = R(info[0]).Finish();
  auto env = info.Env();
  auto out = Napi::Object::New(env);
  out.Set("prepared", o.prepared);
  out.Set("finished", o.finished);
  auto m = Napi::Array::New(env, o.missing.size());
  for (size_t i = 0; i < o.missing.size(); i++) m.Set(static_cast<uint32_t>(i), static_cast<double>(o.missing[i]));
  out.Set("missing", m);
  out.Set("overlapped", static_cast<double>(o.overlapped));
  out.Set("buckets", static_cast<double>(o.buckets));
  return out;
}

// distReducerBuckets(r) -> parameter indices per bucket, in the order they are all-reduced
static Napi::Value distReducerBuckets(const Napi::CallbackInfo& info) {
  auto b = R(info[0]).Buckets();
  auto env = info.Env();
  auto out = Napi::Array::New(env, b.size());
  for (size_t i = 0; i < b.size(); i++) {
    auto a = Napi::Array::New(env, b[i].size());
    for (size_t j = 0; j < b[i].size(); j++) a.Set(static_cast<uint32_t>(j), static_cast<double>(b[i][j]));
    out.Set(static_cast<uint32_t>(i), a);
  }
  return out;
}

static Napi::Value distReducerFree(const Napi::CallbackInfo& info) {
  if (!info[0].IsExternal()) throw Napi::TypeError::New(info.Env(), "expected a reducer handle");
  FreeReducer(info[0].As<Napi::External<ReducerBox>>().Data());
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
static Napi::Value distReducerNew(const Napi::CallbackInfo& info) { return unavailable(info); }
static Napi::Value distReducerPrepare(const Napi::CallbackInfo& info) { return unavailable(info); }
static Napi::Value distReducerFinish(const Napi::CallbackInfo& info) { return unavailable(info); }
static Napi::Value distReducerBuckets(const Napi::CallbackInfo& info) { return unavailable(info); }
static Napi::Value distReducerFree(const Napi::CallbackInfo& info) { return info.Env().Undefined(); }
std::string DistBackwardFailure(const std::exception&) { return ""; }

#endif

void InitDistributed(Napi::Env env, Napi::Object exports) {
  CT_DIST_EXPORT(exports, distInfo);
  CT_DIST_EXPORT(exports, distInit);
  CT_DIST_EXPORT(exports, distDestroy);
  CT_DIST_EXPORT(exports, distAllReduce);
  CT_DIST_EXPORT(exports, distBroadcast);
  CT_DIST_EXPORT(exports, distAllGather);
  CT_DIST_EXPORT(exports, distBarrier);
  CT_DIST_EXPORT(exports, distReducerNew);
  CT_DIST_EXPORT(exports, distReducerPrepare);
  CT_DIST_EXPORT(exports, distReducerFinish);
  CT_DIST_EXPORT(exports, distReducerBuckets);
  CT_DIST_EXPORT(exports, distReducerFree);
}

}  // namespace ct
