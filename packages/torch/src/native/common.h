// Shared helpers of the copper_torch addon: the tensor handle (a Napi::External owning an
// at::Tensor), argument conversion, and the wrapper that turns libtorch errors into JS errors.
#pragma once
#include <napi.h>
#include <ATen/ATen.h>

#include <atomic>
#include <stdexcept>
#include <cstdint>
#include <string>
#include <vector>

namespace ct {

// One JS handle = one heap Holder. dispose() resets `t` at once (the memory goes back to libtorch
// if nothing else references it); the GC finalizer deletes the Holder.
struct Holder {
  at::Tensor t;
  int64_t bytes = 0;  // what was reported to V8 as external memory
};

// Builds the JS error object for a failure of `kind` ("index", "type", "value", "notImplemented",
// "outOfMemory", "argument", "disposed", "torch") through the factory TS registered with
// setErrorFactory (src/errors.ts picks the TorchError subclass); a plain Error when none is.
Napi::Error MakeError(Napi::Env env, const char* kind, const std::string& message);

extern std::atomic<int64_t> g_live;  // handles whose tensor is still held (all threads)

inline Holder* H(const Napi::Value& v) {
  if (!v.IsExternal()) throw Napi::TypeError::New(v.Env(), "expected a tensor handle");
  return v.As<Napi::External<Holder>>().Data();
}

inline const at::Tensor& T(const Napi::Value& v) {
  Holder* h = H(v);
  if (!h->t.defined()) throw MakeError(v.Env(), "disposed", "tensor was disposed");
  return h->t;
}

// Tensor or null/undefined -> undefined at::Tensor (libtorch's "None").
inline at::Tensor OptT(const Napi::Value& v) {
  if (v.IsNull() || v.IsUndefined()) return at::Tensor();
  return T(v);
}

Napi::Value Wrap(Napi::Env env, at::Tensor t);
void Release(Napi::Env env, Holder* h);

inline std::vector<int64_t> Ints(const Napi::Value& v) {
  std::vector<int64_t> out;
  if (v.IsNumber()) {
    out.push_back(v.As<Napi::Number>().Int64Value());
    return out;
  }
  if (!v.IsArray()) throw Napi::TypeError::New(v.Env(), "expected an array of integers");
  auto a = v.As<Napi::Array>();
  uint32_t n = a.Length();
  out.reserve(n);
  for (uint32_t i = 0; i < n; i++) out.push_back(a.Get(i).As<Napi::Number>().Int64Value());
  return out;
}

inline std::vector<at::Tensor> Tensors(const Napi::Value& v) {
  if (!v.IsArray()) throw Napi::TypeError::New(v.Env(), "expected an array of tensors");
  auto a = v.As<Napi::Array>();
  uint32_t n = a.Length();
  std::vector<at::Tensor> out;
  out.reserve(n);
  for (uint32_t i = 0; i < n; i++) out.push_back(T(a.Get(i)));
  return out;
}

inline Napi::Value WrapList(Napi::Env env, const std::vector<at::Tensor>& ts) {
  auto a = Napi::Array::New(env, ts.size());
  for (size_t i = 0; i < ts.size(); i++) a.Set(static_cast<uint32_t>(i), Wrap(env, ts[i]));
  return a;
}

inline int64_t I(const Napi::Value& v) { return v.As<Napi::Number>().Int64Value(); }
inline double D(const Napi::Value& v) { return v.As<Napi::Number>().DoubleValue(); }
inline bool B(const Napi::Value& v) { return v.ToBoolean().Value(); }
inline at::ScalarType Dt(const Napi::Value& v) { return static_cast<at::ScalarType>(v.As<Napi::Number>().Int32Value()); }

// A JS number becomes an integral Scalar when it is an integer (like a Python int), else a double.
inline c10::Scalar S(const Napi::Value& v) {
  if (v.IsBoolean()) return c10::Scalar(v.As<Napi::Boolean>().Value());
  double d = v.As<Napi::Number>().DoubleValue();
  if (d == static_cast<double>(static_cast<int64_t>(d)) && d > -9.0e15 && d < 9.0e15) return c10::Scalar(static_cast<int64_t>(d));
  return c10::Scalar(d);
}

inline c10::optional<c10::Scalar> OptS(const Napi::Value& v) {
  if (v.IsNull() || v.IsUndefined()) return c10::nullopt;
  return S(v);
}

std::string CleanMessage(const char* what);

// A bad argument the binding itself detects (an unknown op code, an op without an in-place form):
// arrives in JS as a TorchError like libtorch's own errors.
struct ArgumentError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

using Fn = Napi::Value (*)(const Napi::CallbackInfo&);

template <Fn f>
Napi::Value Guarded(const Napi::CallbackInfo& info) {
  try {
    return f(info);
  } catch (const Napi::Error&) {
    throw;
  } catch (const c10::IndexError& e) {
    throw MakeError(info.Env(), "index", CleanMessage(e.what_without_backtrace()));
  } catch (const c10::TypeError& e) {
    throw MakeError(info.Env(), "type", CleanMessage(e.what_without_backtrace()));
  } catch (const c10::ValueError& e) {
    throw MakeError(info.Env(), "value", CleanMessage(e.what_without_backtrace()));
  } catch (const c10::NotImplementedError& e) {
    throw MakeError(info.Env(), "notImplemented", CleanMessage(e.what_without_backtrace()));
  } catch (const c10::OutOfMemoryError& e) {
    throw MakeError(info.Env(), "outOfMemory", CleanMessage(e.what_without_backtrace()));
  } catch (const c10::Error& e) {
    throw MakeError(info.Env(), "torch", CleanMessage(e.what_without_backtrace()));
  } catch (const ArgumentError& e) {
    throw MakeError(info.Env(), "argument", CleanMessage(e.what()));
  } catch (const std::bad_alloc&) {
    throw MakeError(info.Env(), "outOfMemory", "out of memory");
  } catch (const std::exception& e) {
    throw MakeError(info.Env(), "torch", CleanMessage(e.what()));
  }
}

#define CT_EXPORT(exports, name) exports.Set(#name, Napi::Function::New<::ct::Guarded<name>>(exports.Env(), #name))

// The one-line message for `e` (thrown by backward) when it comes from a DDP reducer's all-reduce
// that failed (a peer died); "" otherwise (src/native/distributed.cc).
std::string DistBackwardFailure(const std::exception& e);

void InitAddon(Napi::Env env, Napi::Object exports);
void InitTensor(Napi::Env env, Napi::Object exports);
void InitOps(Napi::Env env, Napi::Object exports);
void InitNN(Napi::Env env, Napi::Object exports);
void InitSerialize(Napi::Env env, Napi::Object exports);
void InitDispatch(Napi::Env env, Napi::Object exports);
void InitDistributed(Napi::Env env, Napi::Object exports);

}  // namespace ct
