// Save/load in PyTorch's own format (torch::jit::pickle_save / pickle_load): a file Python's torch.load
// reads, and torch.save files (zip format) from Python read here. JS values map to IValues:
// tensor handle <-> Tensor, number <-> int/float, string, boolean, null <-> None,
// array <-> list, plain object <-> dict with string keys (integer keys when every key is a
// non-negative integer, as in optimizer state dicts).
#include <torch/csrc/jit/serialization/pickle.h>

#include "common.h"

namespace ct {

static c10::IValue ToIValue(const Napi::Value& v, int depth) {
  if (depth > 64) throw std::runtime_error("save: value is nested too deeply");
  if (v.IsExternal()) return c10::IValue(T(v));
  if (v.IsNull() || v.IsUndefined()) return c10::IValue();
  if (v.IsBoolean()) return c10::IValue(v.As<Napi::Boolean>().Value());
  if (v.IsNumber()) {
    double d = v.As<Napi::Number>().DoubleValue();
    if (std::isfinite(d) && d == static_cast<double>(static_cast<int64_t>(d)) && std::abs(d) < 9.0e15) return c10::IValue(static_cast<int64_t>(d));
    return c10::IValue(d);
  }
  if (v.IsString()) return c10::IValue(v.As<Napi::String>().Utf8Value());
  if (v.IsArray()) {
    auto a = v.As<Napi::Array>();
    c10::impl::GenericList l(c10::AnyType::get());
    for (uint32_t i = 0; i < a.Length(); i++) l.push_back(ToIValue(a.Get(i), depth + 1));
    return c10::IValue(l);
  }
  if (v.IsObject()) {
    auto o = v.As<Napi::Object>();
    auto keys = o.GetPropertyNames();
    // Keys that are all non-negative integers ("0", "1", ...) are saved as Python ints, as in
    // torch.optim's state dicts ({0: {...}}); JS objects cannot hold integer keys themselves.
    bool intKeys = keys.Length() > 0;
    std::vector<std::string> names;
    for (uint32_t i = 0; i < keys.Length(); i++) {
      names.push_back(keys.Get(i).ToString().Utf8Value());
      const auto& n = names.back();
      bool digits = !n.empty() && n.size() < 16 && (n == "0" || n[0] != '0');
      for (char c : n) digits = digits && c >= '0' && c <= '9';
      intKeys = intKeys && digits;
    }
    c10::TypePtr keyType = intKeys ? c10::TypePtr(c10::IntType::get()) : c10::TypePtr(c10::StringType::get());
    c10::impl::GenericDict d(keyType, c10::AnyType::get());
    for (uint32_t i = 0; i < keys.Length(); i++) {
      auto val = ToIValue(o.Get(keys.Get(i)), depth + 1);
      if (intKeys) d.insert(c10::IValue(static_cast<int64_t>(std::stoll(names[i]))), val);
      else d.insert(names[i], val);
    }
    return c10::IValue(d);
  }
  throw std::runtime_error("save: cannot store a value of this type");
}

static std::string KeyString(const c10::IValue& k) {
  if (k.isString()) return k.toStringRef();
  if (k.isInt()) return std::to_string(k.toInt());
  if (k.isDouble()) return std::to_string(k.toDouble());
  if (k.isBool()) return k.toBool() ? "True" : "False";
  throw std::runtime_error("load: dict key of type " + k.tagKind() + " is not supported");
}

static Napi::Value FromIValue(Napi::Env env, const c10::IValue& v) {
  if (v.isTensor()) return Wrap(env, v.toTensor());
  if (v.isNone()) return env.Null();
  if (v.isBool()) return Napi::Boolean::New(env, v.toBool());
  if (v.isInt()) return Napi::Number::New(env, static_cast<double>(v.toInt()));
  if (v.isDouble()) return Napi::Number::New(env, v.toDouble());
  if (v.isString()) return Napi::String::New(env, v.toStringRef());
  if (v.isList()) {
    auto l = v.toListRef();
    auto a = Napi::Array::New(env, l.size());
    for (size_t i = 0; i < l.size(); i++) a.Set(static_cast<uint32_t>(i), FromIValue(env, l[i]));
    return a;
  }
  if (v.isTuple()) {
    const auto& el = v.toTupleRef().elements();
    auto a = Napi::Array::New(env, el.size());
    for (size_t i = 0; i < el.size(); i++) a.Set(static_cast<uint32_t>(i), FromIValue(env, el[i]));
    return a;
  }
  if (v.isGenericDict()) {
    auto o = Napi::Object::New(env);
    for (const auto& kv : v.toGenericDict()) o.Set(KeyString(kv.key()), FromIValue(env, kv.value()));
    return o;
  }
  throw std::runtime_error("load: values of type " + v.tagKind() + " are not supported");
}

// pickleSave(value) -> Buffer with the bytes of a torch.save-compatible file
static Napi::Value pickleSave(const Napi::CallbackInfo& info) {
  auto bytes = torch::jit::pickle_save(ToIValue(info[0], 0));
  return Napi::Buffer<char>::Copy(info.Env(), bytes.data(), bytes.size());
}

// pickleLoad(buffer) -> value
static Napi::Value pickleLoad(const Napi::CallbackInfo& info) {
  if (!info[0].IsTypedArray()) throw Napi::TypeError::New(info.Env(), "load: expected a Buffer");
  auto ta = info[0].As<Napi::TypedArray>();
  const char* p = static_cast<const char*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
  std::vector<char> bytes(p, p + ta.ByteLength());
  return FromIValue(info.Env(), torch::jit::pickle_load(bytes));
}

void InitSerialize(Napi::Env env, Napi::Object e) {
  CT_EXPORT(e, pickleSave);
  CT_EXPORT(e, pickleLoad);
}

}  // namespace ct
