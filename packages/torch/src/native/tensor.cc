// Tensor handles: creation, data in and out, metadata, autograd, runtime settings.
#include <ATen/Parallel.h>
#include <ATen/autocast_mode.h>
#include <c10/core/GradMode.h>
#include <c10/core/InferenceMode.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/variable.h>
#include <torch/csrc/autograd/function.h>

#include <cstring>
#include <sstream>
#include <torch/version.h>

#include "common.h"

namespace ct {

static at::TensorOptions Opt(const Napi::Value& dtype) { return at::TensorOptions().dtype(Dt(dtype)); }

// fromBuffer(typedArray, dtype, shape): copies the typed array's bytes into a new tensor.
static Napi::Value fromBuffer(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  if (!info[0].IsTypedArray()) throw Napi::TypeError::New(env, "expected a typed array");
  auto ta = info[0].As<Napi::TypedArray>();
  auto shape = Ints(info[2]);
  auto t = at::empty(shape, Opt(info[1]));
  size_t nbytes = t.numel() * t.element_size();
  if (nbytes != ta.ByteLength())
    throw Napi::RangeError::New(env, "data has " + std::to_string(ta.ByteLength()) + " bytes but shape needs " + std::to_string(nbytes));
  auto ab = ta.ArrayBuffer();
  if (nbytes) std::memcpy(t.data_ptr(), static_cast<uint8_t*>(ab.Data()) + ta.ByteOffset(), nbytes);
  return Wrap(env, t);
}

// toBuffer(t): a new ArrayBuffer holding the tensor's elements (contiguous, row-major).
static Napi::Value toBuffer(const Napi::CallbackInfo& info) {
  auto t = T(info[0]).detach().to(at::kCPU).contiguous();
  size_t nbytes = t.numel() * t.element_size();
  auto ab = Napi::ArrayBuffer::New(info.Env(), nbytes);
  if (nbytes) std::memcpy(ab.Data(), t.data_ptr(), nbytes);
  return ab;
}

static Napi::Value item(const Napi::CallbackInfo& info) {
  const auto& t = T(info[0]);
  if (t.scalar_type() == at::kBool) return Napi::Boolean::New(info.Env(), t.item<bool>());
  return Napi::Number::New(info.Env(), t.item<double>());
}

static Napi::Value shape(const Napi::CallbackInfo& info) {
  const auto& t = T(info[0]);
  auto sizes = t.sizes();
  auto a = Napi::Array::New(info.Env(), sizes.size());
  for (size_t i = 0; i < sizes.size(); i++) a.Set(static_cast<uint32_t>(i), Napi::Number::New(info.Env(), static_cast<double>(sizes[i])));
  return a;
}

static Napi::Value strides(const Napi::CallbackInfo& info) {
  const auto& t = T(info[0]);
  auto s = t.strides();
  auto a = Napi::Array::New(info.Env(), s.size());
  for (size_t i = 0; i < s.size(); i++) a.Set(static_cast<uint32_t>(i), Napi::Number::New(info.Env(), static_cast<double>(s[i])));
  return a;
}

static Napi::Value dim(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), static_cast<double>(T(info[0]).dim())); }
static Napi::Value numel(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), static_cast<double>(T(info[0]).numel())); }
static Napi::Value size(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), static_cast<double>(T(info[0]).size(I(info[1])))); }
static Napi::Value dtype(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), static_cast<int>(T(info[0]).scalar_type())); }
static Napi::Value device(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), T(info[0]).device().str()); }
static Napi::Value isContiguous(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), T(info[0]).is_contiguous()); }

static Napi::Value free_(const Napi::CallbackInfo& info) {
  Release(info.Env(), H(info[0]));
  return info.Env().Undefined();
}

static Napi::Value liveTensors(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), static_cast<double>(g_live)); }

// ---- creation ----
static Napi::Value full(const Napi::CallbackInfo& info) {
  return Wrap(info.Env(), at::full(Ints(info[0]), S(info[1]), Opt(info[2])));
}
static Napi::Value empty(const Napi::CallbackInfo& info) { return Wrap(info.Env(), at::empty(Ints(info[0]), Opt(info[1]))); }
static Napi::Value arange(const Napi::CallbackInfo& info) {
  return Wrap(info.Env(), at::arange(S(info[0]), S(info[1]), S(info[2]), Opt(info[3])));
}
static Napi::Value linspace(const Napi::CallbackInfo& info) {
  return Wrap(info.Env(), at::linspace(S(info[0]), S(info[1]), I(info[2]), Opt(info[3])));
}
static Napi::Value eye(const Napi::CallbackInfo& info) { return Wrap(info.Env(), at::eye(I(info[0]), I(info[1]), Opt(info[2]))); }
static Napi::Value rand(const Napi::CallbackInfo& info) { return Wrap(info.Env(), at::rand(Ints(info[0]), Opt(info[1]))); }
static Napi::Value randn(const Napi::CallbackInfo& info) { return Wrap(info.Env(), at::randn(Ints(info[0]), Opt(info[1]))); }
static Napi::Value randint(const Napi::CallbackInfo& info) {
  return Wrap(info.Env(), at::randint(I(info[0]), I(info[1]), Ints(info[2]), Opt(info[3])));
}
static Napi::Value randperm(const Napi::CallbackInfo& info) { return Wrap(info.Env(), at::randperm(I(info[0]), Opt(info[1]))); }
static Napi::Value multinomial(const Napi::CallbackInfo& info) {
  return Wrap(info.Env(), at::multinomial(T(info[0]), I(info[1]), B(info[2])));
}

// ---- in-place initialisation (nn.init) ----
static Napi::Value uniform_(const Napi::CallbackInfo& info) {
  at::NoGradGuard g;
  auto t = T(info[0]);
  t.uniform_(D(info[1]), D(info[2]));
  return info.Env().Undefined();
}
static Napi::Value normal_(const Napi::CallbackInfo& info) {
  at::NoGradGuard g;
  auto t = T(info[0]);
  t.normal_(D(info[1]), D(info[2]));
  return info.Env().Undefined();
}
static Napi::Value bernoulli(const Napi::CallbackInfo& info) {
  if (info[1].IsNumber()) return Wrap(info.Env(), at::bernoulli(T(info[0]), D(info[1])));
  return Wrap(info.Env(), at::bernoulli(T(info[0])));
}
static Napi::Value fill_(const Napi::CallbackInfo& info) {
  auto t = T(info[0]);
  t.fill_(S(info[1]));
  return info.Env().Undefined();
}
static Napi::Value zero_(const Napi::CallbackInfo& info) {
  auto t = T(info[0]);
  t.zero_();
  return info.Env().Undefined();
}
static Napi::Value copy_(const Napi::CallbackInfo& info) {
  auto t = T(info[0]);
  t.copy_(T(info[1]));
  return info.Env().Undefined();
}
// Replaces what a handle holds (used by modules to swap a parameter's data in place of JS objects).
static Napi::Value setData(const Napi::CallbackInfo& info) {
  auto t = T(info[0]);
  t.set_data(T(info[1]));
  return info.Env().Undefined();
}

// ---- conversions ----
static Napi::Value to(const Napi::CallbackInfo& info) { return Wrap(info.Env(), T(info[0]).to(Dt(info[1]))); }
// toDevice(t, "cpu" | "cuda" | "cuda:1" | ...)
static Napi::Value toDevice(const Napi::CallbackInfo& info) {
  return Wrap(info.Env(), T(info[0]).to(at::Device(info[1].As<Napi::String>().Utf8Value())));
}
static Napi::Value cudaIsAvailable(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), at::hasCUDA()); }

// ---- autocast (torch.autocast's __enter__/__exit__ over at::autocast's thread-local state) ----
static bool AutocastCuda(const Napi::Value& v) {
  std::string d = v.As<Napi::String>();
  if (d == "cpu") return false;
  if (d == "cuda") return true;
  throw ArgumentError("autocast: device must be 'cpu' or 'cuda', got '" + d + "'");
}
static Napi::Value autocastEnter(const Napi::CallbackInfo& info) {
  bool cuda = AutocastCuda(info[0]);
  bool en = info[1].As<Napi::Boolean>();
  at::ScalarType dt = Dt(info[2]);
  bool was = cuda ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled();
  at::ScalarType prev = cuda ? at::autocast::get_autocast_gpu_dtype() : at::autocast::get_autocast_cpu_dtype();
  if (cuda) {
    at::autocast::set_enabled(en);
    at::autocast::set_autocast_gpu_dtype(dt);
  } else {
    at::autocast::set_cpu_enabled(en);
    at::autocast::set_autocast_cpu_dtype(dt);
  }
  at::autocast::increment_nesting();
  auto out = Napi::Array::New(info.Env(), 2);
  out.Set(0u, Napi::Number::New(info.Env(), was ? 1 : 0));
  out.Set(1u, Napi::Number::New(info.Env(), static_cast<int>(prev)));
  return out;
}
static Napi::Value autocastExit(const Napi::CallbackInfo& info) {
  bool cuda = AutocastCuda(info[0]);
  bool was = info[1].As<Napi::Boolean>();
  at::ScalarType prev = Dt(info[2]);
  // the cast weights are cached while autocast is nested; the outermost exit frees them
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  if (cuda) {
    at::autocast::set_enabled(was);
    at::autocast::set_autocast_gpu_dtype(prev);
  } else {
    at::autocast::set_cpu_enabled(was);
    at::autocast::set_autocast_cpu_dtype(prev);
  }
  return info.Env().Undefined();
}
static Napi::Value autocastIsEnabled(const Napi::CallbackInfo& info) {
  bool cuda = AutocastCuda(info[0]);
  return Napi::Boolean::New(info.Env(), cuda ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled());
}
static Napi::Value clone(const Napi::CallbackInfo& info) { return Wrap(info.Env(), T(info[0]).clone()); }
static Napi::Value detach(const Napi::CallbackInfo& info) { return Wrap(info.Env(), T(info[0]).detach()); }
static Napi::Value contiguous(const Napi::CallbackInfo& info) { return Wrap(info.Env(), T(info[0]).contiguous()); }
static at::MemoryFormat Mf(const Napi::Value& v) {
  auto s = v.As<Napi::String>().Utf8Value();
  if (s == "contiguous") return at::MemoryFormat::Contiguous;
  if (s == "channelsLast") return at::MemoryFormat::ChannelsLast;
  if (s == "channelsLast3d") return at::MemoryFormat::ChannelsLast3d;
  if (s == "preserve") return at::MemoryFormat::Preserve;
  throw ArgumentError("memory format must be 'contiguous', 'channelsLast', 'channelsLast3d' or 'preserve', got '" + s + "'");
}
// contiguousAs(t, format): t laid out in that memory format (t itself when it already is)
static Napi::Value contiguousAs(const Napi::CallbackInfo& info) { return Wrap(info.Env(), T(info[0]).contiguous(Mf(info[1]))); }
static Napi::Value isContiguousAs(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), T(info[0]).is_contiguous(Mf(info[1])));
}
static Napi::Value alias(const Napi::CallbackInfo& info) { return Wrap(info.Env(), T(info[0])); }
static Napi::Value equal(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), at::equal(T(info[0]), T(info[1]))); }
static Napi::Value allclose(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), at::allclose(T(info[0]), T(info[1]), D(info[2]), D(info[3])));
}
static Napi::Value toString(const Napi::CallbackInfo& info) {
  std::ostringstream os;
  os << T(info[0]);
  return Napi::String::New(info.Env(), os.str());
}

// ---- autograd ----
static Napi::Value requiresGrad(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), T(info[0]).requires_grad()); }
static Napi::Value setRequiresGrad(const Napi::CallbackInfo& info) {
  auto t = T(info[0]);
  t.set_requires_grad(B(info[1]));
  return info.Env().Undefined();
}
static Napi::Value grad(const Napi::CallbackInfo& info) {
  const auto& g = T(info[0]).grad();
  if (!g.defined()) return info.Env().Null();
  return Wrap(info.Env(), g);
}
static Napi::Value hasGrad(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), T(info[0]).grad().defined()); }
static Napi::Value setGrad(const Napi::CallbackInfo& info) {
  auto t = T(info[0]);
  t.mutable_grad() = OptT(info[1]);
  return info.Env().Undefined();
}
static Napi::Value isLeaf(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), T(info[0]).is_leaf()); }
static Napi::Value retainGrad(const Napi::CallbackInfo& info) {
  auto t = T(info[0]);
  t.retain_grad();
  return info.Env().Undefined();
}
static Napi::Value gradFn(const Napi::CallbackInfo& info) {
  const auto& fn = T(info[0]).grad_fn();
  if (!fn) return info.Env().Null();
  return Napi::String::New(info.Env(), fn->name());
}
// backward(tensors[], grads[] (null entries allowed), retainGraph, createGraph)
static Napi::Value backward(const Napi::CallbackInfo& info) {
  auto outs = Tensors(info[0]);
  std::vector<at::Tensor> grads;
  if (info[1].IsArray()) {
    auto a = info[1].As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); i++) grads.push_back(OptT(a.Get(i)));
  }
  c10::optional<bool> retain;
  if (info[2].IsBoolean()) retain = B(info[2]);
  try {
    torch::autograd::backward(outs, grads, retain, B(info[3]));
  } catch (const std::exception& e) {
    // a gradient bucket's all-reduce (DDP's reducer) failed: a DistributedError, in one line
    std::string dist = DistBackwardFailure(e);
    if (!dist.empty()) throw MakeError(info.Env(), "distributed", dist);
    throw;
  }
  return info.Env().Undefined();
}
// grad(outputs[], inputs[], gradOutputs[] | null, retainGraph, createGraph, allowUnused)
static Napi::Value autogradGrad(const Napi::CallbackInfo& info) {
  auto outs = Tensors(info[0]);
  auto ins = Tensors(info[1]);
  std::vector<at::Tensor> gouts;
  if (info[2].IsArray()) {
    auto a = info[2].As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); i++) gouts.push_back(OptT(a.Get(i)));
  }
  c10::optional<bool> retain;
  if (info[3].IsBoolean()) retain = B(info[3]);
  auto res = torch::autograd::grad(outs, ins, gouts, retain, B(info[4]), B(info[5]));
  auto arr = Napi::Array::New(info.Env(), res.size());
  for (size_t i = 0; i < res.size(); i++)
    arr.Set(static_cast<uint32_t>(i), res[i].defined() ? Wrap(info.Env(), res[i]) : info.Env().Null());
  return arr;
}
static Napi::Value setGradEnabled(const Napi::CallbackInfo& info) {
  bool prev = c10::GradMode::is_enabled();
  c10::GradMode::set_enabled(B(info[0]));
  return Napi::Boolean::New(info.Env(), prev);
}
// inference mode (torch.inference_mode): guards kept on a stack, entered and left around a
// synchronous JS callback.
static thread_local std::vector<std::unique_ptr<c10::InferenceMode>> g_inference;  // per thread, like the mode
static Napi::Value inferenceModeEnter(const Napi::CallbackInfo& info) {
  g_inference.push_back(std::make_unique<c10::InferenceMode>(B(info[0])));
  return info.Env().Undefined();
}
static Napi::Value inferenceModeExit(const Napi::CallbackInfo& info) {
  if (!g_inference.empty()) g_inference.pop_back();
  return info.Env().Undefined();
}
static Napi::Value isInferenceMode(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), c10::InferenceMode::is_enabled()); }
static Napi::Value isGradEnabled(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), c10::GradMode::is_enabled()); }

// ---- runtime ----
static Napi::Value manualSeed(const Napi::CallbackInfo& info) {
  at::manual_seed(static_cast<uint64_t>(info[0].As<Napi::Number>().Int64Value()));
  return info.Env().Undefined();
}
static Napi::Value setNumThreads(const Napi::CallbackInfo& info) {
  at::set_num_threads(static_cast<int>(I(info[0])));
  return info.Env().Undefined();
}
static Napi::Value getNumThreads(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), at::get_num_threads()); }
static Napi::Value version(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR) + "." + std::to_string(TORCH_VERSION_PATCH));
}
static Napi::Value noop(const Napi::CallbackInfo& info) { return info.Env().Undefined(); }

void InitTensor(Napi::Env env, Napi::Object e) {
  CT_EXPORT(e, fromBuffer);
  CT_EXPORT(e, toBuffer);
  CT_EXPORT(e, item);
  CT_EXPORT(e, shape);
  CT_EXPORT(e, strides);
  CT_EXPORT(e, dim);
  CT_EXPORT(e, numel);
  CT_EXPORT(e, size);
  CT_EXPORT(e, dtype);
  CT_EXPORT(e, device);
  CT_EXPORT(e, isContiguous);
  e.Set("free", Napi::Function::New<Guarded<free_>>(env, "free"));
  CT_EXPORT(e, liveTensors);
  CT_EXPORT(e, full);
  CT_EXPORT(e, empty);
  CT_EXPORT(e, arange);
  CT_EXPORT(e, linspace);
  CT_EXPORT(e, eye);
  CT_EXPORT(e, rand);
  CT_EXPORT(e, randn);
  CT_EXPORT(e, randint);
  CT_EXPORT(e, randperm);
  CT_EXPORT(e, multinomial);
  CT_EXPORT(e, uniform_);
  CT_EXPORT(e, normal_);
  CT_EXPORT(e, bernoulli);
  CT_EXPORT(e, fill_);
  CT_EXPORT(e, zero_);
  CT_EXPORT(e, copy_);
  CT_EXPORT(e, setData);
  CT_EXPORT(e, to);
  CT_EXPORT(e, toDevice);
  CT_EXPORT(e, cudaIsAvailable);
  CT_EXPORT(e, autocastEnter);
  CT_EXPORT(e, autocastExit);
  CT_EXPORT(e, autocastIsEnabled);
  CT_EXPORT(e, clone);
  CT_EXPORT(e, detach);
  CT_EXPORT(e, contiguous);
  CT_EXPORT(e, alias);
  CT_EXPORT(e, contiguousAs);
  CT_EXPORT(e, isContiguousAs);
  CT_EXPORT(e, equal);
  CT_EXPORT(e, allclose);
  CT_EXPORT(e, toString);
  CT_EXPORT(e, requiresGrad);
  CT_EXPORT(e, setRequiresGrad);
  CT_EXPORT(e, grad);
  CT_EXPORT(e, hasGrad);
  CT_EXPORT(e, setGrad);
  CT_EXPORT(e, isLeaf);
  CT_EXPORT(e, retainGrad);
  CT_EXPORT(e, gradFn);
  CT_EXPORT(e, backward);
  CT_EXPORT(e, autogradGrad);
  CT_EXPORT(e, setGradEnabled);
  CT_EXPORT(e, isGradEnabled);
  CT_EXPORT(e, inferenceModeEnter);
  CT_EXPORT(e, inferenceModeExit);
  CT_EXPORT(e, isInferenceMode);
  CT_EXPORT(e, manualSeed);
  CT_EXPORT(e, setNumThreads);
  CT_EXPORT(e, getNumThreads);
  CT_EXPORT(e, version);
  CT_EXPORT(e, noop);
}

}  // namespace ct
