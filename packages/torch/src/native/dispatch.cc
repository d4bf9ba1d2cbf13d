// callOp(name, overload, args[]): calls any registered ATen operator through libtorch's boxed
// dispatcher, converting the JS arguments by the operator's schema (missing trailing arguments take
// their defaults). The escape hatch for ops without a dedicated binding.
#include <ATen/core/dispatch/Dispatcher.h>

#include "common.h"

namespace ct {

static c10::IValue Convert(const Napi::Value& v, const c10::TypePtr& type, const std::string& arg) {
  using K = c10::TypeKind;
  auto fail = [&](const char* want) {
    return ArgumentError("argument '" + arg + "' must be " + want);
  };
  switch (type->kind()) {
    case K::OptionalType:
      if (v.IsNull() || v.IsUndefined()) return c10::IValue();
      return Convert(v, type->castRaw<c10::OptionalType>()->getElementType(), arg);
    case K::TensorType:
      if (!v.IsExternal()) throw fail("a tensor");
      return T(v);
    case K::IntType:
    case K::SymIntType:
    case K::ScalarTypeType:
    case K::LayoutType:
    case K::MemoryFormatType:
      if (!v.IsNumber()) throw fail("an integer");
      return c10::IValue(v.As<Napi::Number>().Int64Value());
    case K::FloatType:
      if (!v.IsNumber()) throw fail("a number");
      return c10::IValue(v.As<Napi::Number>().DoubleValue());
    case K::BoolType:
      if (!v.IsBoolean()) throw fail("a boolean");
      return c10::IValue(v.As<Napi::Boolean>().Value());
    case K::NumberType:
      if (!v.IsNumber() && !v.IsBoolean()) throw fail("a number");
      return c10::IValue(S(v));
    case K::StringType:
      if (!v.IsString()) throw fail("a string");
      return c10::IValue(v.As<Napi::String>().Utf8Value());
    case K::DeviceObjType:
      if (!v.IsString()) throw fail("a device string");
      return c10::IValue(c10::Device(v.As<Napi::String>().Utf8Value()));
    case K::ListType: {
      auto elem = type->castRaw<c10::ListType>()->getElementType();
      if (v.IsNumber() && (elem->kind() == K::IntType || elem->kind() == K::SymIntType)) return c10::IValue(std::vector<int64_t>{I(v)});
      if (!v.IsArray()) throw fail("an array");
      auto a = v.As<Napi::Array>();
      switch (elem->kind()) {
        case K::IntType:
        case K::SymIntType: {
          std::vector<int64_t> out;
          for (uint32_t i = 0; i < a.Length(); i++) out.push_back(I(a.Get(i)));
          return c10::IValue(out);
        }
        case K::FloatType: {
          std::vector<double> out;
          for (uint32_t i = 0; i < a.Length(); i++) out.push_back(D(a.Get(i)));
          return c10::IValue(out);
        }
        case K::BoolType: {
          c10::List<bool> out;
          for (uint32_t i = 0; i < a.Length(); i++) out.push_back(B(a.Get(i)));
          return c10::IValue(out);
        }
        case K::TensorType: return c10::IValue(Tensors(v));
        case K::OptionalType: {
          c10::List<c10::optional<at::Tensor>> out;
          for (uint32_t i = 0; i < a.Length(); i++) {
            auto x = a.Get(i);
            if (x.IsNull() || x.IsUndefined()) out.push_back(c10::nullopt);
            else out.push_back(T(x));
          }
          return c10::IValue(out);
        }
        default: break;
      }
      break;
    }
    case K::GeneratorType:
      if (v.IsNull() || v.IsUndefined()) return c10::IValue();
      break;
    default: break;
  }
  throw ArgumentError("argument '" + arg + "' has type " + type->str() + ", which callOp cannot pass");
}

static Napi::Value Back(Napi::Env env, const c10::IValue& v) {
  if (v.isTensor()) return Wrap(env, v.toTensor());
  if (v.isNone()) return env.Null();
  if (v.isBool()) return Napi::Boolean::New(env, v.toBool());
  if (v.isInt()) return Napi::Number::New(env, static_cast<double>(v.toInt()));
  if (v.isDouble()) return Napi::Number::New(env, v.toDouble());
  if (v.isTensorList()) return WrapList(env, v.toTensorVector());
  if (v.isList()) {
    auto l = v.toListRef();
    auto a = Napi::Array::New(env, l.size());
    for (size_t i = 0; i < l.size(); i++) a.Set(static_cast<uint32_t>(i), Back(env, l[i]));
    return a;
  }
  if (v.isTuple()) {
    const auto& el = v.toTupleRef().elements();
    auto a = Napi::Array::New(env, el.size());
    for (size_t i = 0; i < el.size(); i++) a.Set(static_cast<uint32_t>(i), Back(env, el[i]));
    return a;
  }
  if (v.isScalar()) return Napi::Number::New(env, v.toScalar().toDouble());
  throw ArgumentError("callOp: cannot return a value of type " + v.tagKind());
}

static Napi::Value callOp(const Napi::CallbackInfo& info) {
  auto name = info[0].As<Napi::String>().Utf8Value();
  auto overload = info[1].As<Napi::String>().Utf8Value();
  auto args = info[2].As<Napi::Array>();
  auto op = c10::Dispatcher::singleton().findSchema({name, overload});
  if (!op) throw ArgumentError("no operator " + name + (overload.empty() ? "" : "." + overload));
  const auto& schema = op->schema();
  const auto& params = schema.arguments();
  if (args.Length() > params.size())
    throw ArgumentError(schema.name() + " takes " + std::to_string(params.size()) + " arguments, got " + std::to_string(args.Length()));
  torch::jit::Stack stack;
  for (size_t i = 0; i < params.size(); i++) {
    const auto& p = params[i];
    if (i < args.Length() && !args.Get(static_cast<uint32_t>(i)).IsUndefined()) {
      stack.push_back(Convert(args.Get(static_cast<uint32_t>(i)), p.type(), p.name()));
    } else if (p.default_value()) {
      stack.push_back(*p.default_value());
    } else {
      throw ArgumentError(schema.name() + ": missing argument '" + p.name() + "'");
    }
  }
  op->callBoxed(&stack);
  if (stack.size() == 1) return Back(info.Env(), stack[0]);
  auto a = Napi::Array::New(info.Env(), stack.size());
  for (size_t i = 0; i < stack.size(); i++) a.Set(static_cast<uint32_t>(i), Back(info.Env(), stack[i]));
  return a;
}

void InitDispatch(Napi::Env env, Napi::Object e) { CT_EXPORT(e, callOp); }

}  // namespace ct
