// Math and shape ops. The element-wise families take an op code (generated from scripts/native-spec.mjs into ops.gen.h and src/native.gen.ts) so one
// exported function serves many ops: the JS -> C++ path stays one call and one switch.
#include "common.h"
#include "ops.gen.h"

namespace ct {

// unary(t, code, inplace)
static Napi::Value unary(const Napi::CallbackInfo& info) {
  int code = info[1].As<Napi::Number>().Int32Value();
  if (info.Length() > 2 && B(info[2])) {
    auto t = T(info[0]);
    unaryInplace(t, code);
    return info.Env().Undefined();
  }
  return Wrap(info.Env(), unaryOp(T(info[0]), code));
}

// binary(a, b: tensor | number, code, inplace)
static Napi::Value binary(const Napi::CallbackInfo& info) {
  int code = info[2].As<Napi::Number>().Int32Value();
  bool inplace = info.Length() > 3 && B(info[3]);
  if (info[1].IsExternal()) {
    if (inplace) {
      auto a = T(info[0]);
      binaryInplace(a, T(info[1]), code);
      return info.Env().Undefined();
    }
    return Wrap(info.Env(), binaryOp(T(info[0]), T(info[1]), code));
  }
  auto s = S(info[1]);
  if (inplace) {
    auto a = T(info[0]);
    binaryInplace(a, s, code);
    return info.Env().Undefined();
  }
  return Wrap(info.Env(), binaryOp(T(info[0]), s, code));
}

// addScaled(a, b, alpha, inplace): a + alpha * b
static Napi::Value addScaled(const Napi::CallbackInfo& info) {
  if (B(info[3])) {
    auto a = T(info[0]);
    a.add_(T(info[1]), S(info[2]));
    return info.Env().Undefined();
  }
  return Wrap(info.Env(), at::add(T(info[0]), T(info[1]), S(info[2])));
}
// addcmul(a, b, c, value, inplace) / addcdiv
static Napi::Value addcmul(const Napi::CallbackInfo& info) {
  if (B(info[4])) {
    auto a = T(info[0]);
    a.addcmul_(T(info[1]), T(info[2]), S(info[3]));
    return info.Env().Undefined();
  }
  return Wrap(info.Env(), at::addcmul(T(info[0]), T(info[1]), T(info[2]), S(info[3])));
}
static Napi::Value addcdiv(const Napi::CallbackInfo& info) {
  if (B(info[4])) {
    auto a = T(info[0]);
    a.addcdiv_(T(info[1]), T(info[2]), S(info[3]));
    return info.Env().Undefined();
  }
  return Wrap(info.Env(), at::addcdiv(T(info[0]), T(info[1]), T(info[2]), S(info[3])));
}
// lerp_(a, b, weight): a += weight * (b - a)
static Napi::Value lerp(const Napi::CallbackInfo& info) {
  if (B(info[3])) {
    auto a = T(info[0]);
    a.lerp_(T(info[1]), S(info[2]));
    return info.Env().Undefined();
  }
  return Wrap(info.Env(), at::lerp(T(info[0]), T(info[1]), S(info[2])));
}
static Napi::Value clamp(const Napi::CallbackInfo& info) {
  if (B(info[3])) {
    auto a = T(info[0]);
    a.clamp_(OptS(info[1]), OptS(info[2]));
    return info.Env().Undefined();
  }
  return Wrap(info.Env(), at::clamp(T(info[0]), OptS(info[1]), OptS(info[2])));
}
static Napi::Value where(const Napi::CallbackInfo& info) {
  const auto& c = T(info[0]);
  if (info[1].IsExternal() && info[2].IsExternal()) return Wrap(info.Env(), at::where(c, T(info[1]), T(info[2])));
  if (info[1].IsExternal()) return Wrap(info.Env(), at::where(c, T(info[1]), S(info[2])));
  if (info[2].IsExternal()) return Wrap(info.Env(), at::where(c, S(info[1]), T(info[2])));
  return Wrap(info.Env(), at::where(c, S(info[1]), S(info[2])));
}

// reduce(t, code, dims | null, keepdim)
static Napi::Value reduce(const Napi::CallbackInfo& info) {
  const auto& a = T(info[0]);
  int code = info[1].As<Napi::Number>().Int32Value();
  bool all = info[2].IsNull() || info[2].IsUndefined();
  std::vector<int64_t> dims;
  if (!all) dims = Ints(info[2]);
  bool keep = B(info[3]);
  at::Tensor r;
  if (code < 0 || code >= kReduceCount) throw ArgumentError("unknown reduction " + std::to_string(code));
  // no default: -Werror=switch makes a reduction added to the spec without a case here a build error
  switch (static_cast<Reduce>(code)) {
    case R_SUM: r = all ? at::sum(a) : at::sum(a, dims, keep); break;
    case R_MEAN: r = all ? at::mean(a) : at::mean(a, dims, keep); break;
    case R_PROD:
      if (all) r = at::prod(a);
      else {
        r = a;
        std::sort(dims.begin(), dims.end(), std::greater<int64_t>());
        for (auto d : dims) r = at::prod(r, d, keep);
      }
      break;
    case R_AMAX: r = at::amax(a, dims, keep); break;
    case R_AMIN: r = at::amin(a, dims, keep); break;
    case R_STD: r = all ? at::std(a, true) : at::std(a, at::OptionalIntArrayRef(dims), true, keep); break;
    case R_VAR: r = all ? at::var(a, true) : at::var(a, at::OptionalIntArrayRef(dims), true, keep); break;
    case R_STD_BIASED: r = all ? at::std(a, false) : at::std(a, at::OptionalIntArrayRef(dims), false, keep); break;
    case R_VAR_BIASED: r = all ? at::var(a, false) : at::var(a, at::OptionalIntArrayRef(dims), false, keep); break;
    case R_LOGSUMEXP: {
      if (all) {
        dims.clear();
        for (int64_t i = 0; i < a.dim(); i++) dims.push_back(i);
      }
      r = at::logsumexp(a, dims, keep);
      break;
    }
    case R_ALL:
      if (all) r = at::all(a);
      else {
        r = a;
        std::sort(dims.begin(), dims.end(), std::greater<int64_t>());
        for (auto d : dims) r = at::all(r, d, keep);
      }
      break;
    case R_ANY:
      if (all) r = at::any(a);
      else {
        r = a;
        std::sort(dims.begin(), dims.end(), std::greater<int64_t>());
        for (auto d : dims) r = at::any(r, d, keep);
      }
      break;
    case R_NORM: r = at::linalg_vector_norm(a, 2, all ? at::OptionalIntArrayRef() : at::OptionalIntArrayRef(dims), keep); break;
  }
  return Wrap(info.Env(), r);
}

// maxDim(t, dim, keepdim, isMin) -> [values, indices]
static Napi::Value maxDim(const Napi::CallbackInfo& info) {
  auto r = B(info[3]) ? at::min(T(info[0]), I(info[1]), B(info[2])) : at::max(T(info[0]), I(info[1]), B(info[2]));
  return WrapList(info.Env(), {std::get<0>(r), std::get<1>(r)});
}
// argmax(t, dim | null, keepdim, isMin)
static Napi::Value argmax(const Napi::CallbackInfo& info) {
  c10::optional<int64_t> d;
  if (info[1].IsNumber()) d = I(info[1]);
  return Wrap(info.Env(), B(info[3]) ? at::argmin(T(info[0]), d, B(info[2])) : at::argmax(T(info[0]), d, B(info[2])));
}
static Napi::Value cumsum(const Napi::CallbackInfo& info) { return Wrap(info.Env(), at::cumsum(T(info[0]), I(info[1]))); }
static Napi::Value cumprod(const Napi::CallbackInfo& info) { return Wrap(info.Env(), at::cumprod(T(info[0]), I(info[1]))); }
static Napi::Value sort(const Napi::CallbackInfo& info) {
  auto r = at::sort(T(info[0]), I(info[1]), B(info[2]));
  return WrapList(info.Env(), {std::get<0>(r), std::get<1>(r)});
}
static Napi::Value topk(const Napi::CallbackInfo& info) {
  auto r = at::topk(T(info[0]), I(info[1]), I(info[2]), B(info[3]), true);
  return WrapList(info.Env(), {std::get<0>(r), std::get<1>(r)});
}
static Napi::Value softmax(const Napi::CallbackInfo& info) { return Wrap(info.Env(), at::softmax(T(info[0]), I(info[1]))); }
static Napi::Value logSoftmax(const Napi::CallbackInfo& info) { return Wrap(info.Env(), at::log_softmax(T(info[0]), I(info[1]))); }

// ---- shape ----
static Napi::Value reshape(const Napi::CallbackInfo& info) { return Wrap(info.Env(), at::reshape(T(info[0]), Ints(info[1]))); }
static Napi::Value view(const Napi::CallbackInfo& info) { return Wrap(info.Env(), T(info[0]).view(Ints(info[1]))); }
static Napi::Value permute(const Napi::CallbackInfo& info) { return Wrap(info.Env(), T(info[0]).permute(Ints(info[1]))); }
static Napi::Value transpose(const Napi::CallbackInfo& info) { return Wrap(info.Env(), at::transpose(T(info[0]), I(info[1]), I(info[2]))); }
static Napi::Value squeeze(const Napi::CallbackInfo& info) {
  if (info[1].IsNumber()) return Wrap(info.Env(), at::squeeze(T(info[0]), I(info[1])));
  return Wrap(info.Env(), at::squeeze(T(info[0])));
}
static Napi::Value unsqueeze(const Napi::CallbackInfo& info) { return Wrap(info.Env(), at::unsqueeze(T(info[0]), I(info[1]))); }
static Napi::Value flatten(const Napi::CallbackInfo& info) { return Wrap(info.Env(), at::flatten(T(info[0]), I(info[1]), I(info[2]))); }
static Napi::Value expand(const Napi::CallbackInfo& info) { return Wrap(info.Env(), T(info[0]).expand(Ints(info[1]))); }
static Napi::Value repeat(const Napi::CallbackInfo& info) { return Wrap(info.Env(), T(info[0]).repeat(Ints(info[1]))); }
static Napi::Value cat(const Napi::CallbackInfo& info) { return Wrap(info.Env(), at::cat(Tensors(info[0]), I(info[1]))); }
static Napi::Value stack(const Napi::CallbackInfo& info) { return Wrap(info.Env(), at::stack(Tensors(info[0]), I(info[1]))); }
// split(t, sizeOrSizes, dim): a number = chunks of that size; an array = those sizes
static Napi::Value split(const Napi::CallbackInfo& info) {
  if (info[1].IsArray()) return WrapList(info.Env(), at::split_with_sizes(T(info[0]), Ints(info[1]), I(info[2])));
  return WrapList(info.Env(), at::split(T(info[0]), I(info[1]), I(info[2])));
}
static Napi::Value chunk(const Napi::CallbackInfo& info) { return WrapList(info.Env(), at::chunk(T(info[0]), I(info[1]), I(info[2]))); }
static Napi::Value unbind(const Napi::CallbackInfo& info) { return WrapList(info.Env(), at::unbind(T(info[0]), I(info[1]))); }
// slice(t, dim, start | null, end | null, step)
static Napi::Value slice(const Napi::CallbackInfo& info) {
  c10::optional<int64_t> s, e;
  if (info[2].IsNumber()) s = I(info[2]);
  if (info[3].IsNumber()) e = I(info[3]);
  return Wrap(info.Env(), at::slice(T(info[0]), I(info[1]), s, e, I(info[4])));
}
// asStrided(t, size, stride, offset): a view on t's storage (used to rebuild tensors from files)
static Napi::Value asStrided(const Napi::CallbackInfo& info) {
  return Wrap(info.Env(), at::as_strided(T(info[0]), Ints(info[1]), Ints(info[2]), I(info[3])));
}
static Napi::Value narrow(const Napi::CallbackInfo& info) { return Wrap(info.Env(), at::narrow(T(info[0]), I(info[1]), I(info[2]), I(info[3]))); }
static Napi::Value select(const Napi::CallbackInfo& info) { return Wrap(info.Env(), at::select(T(info[0]), I(info[1]), I(info[2]))); }
static Napi::Value indexSelect(const Napi::CallbackInfo& info) { return Wrap(info.Env(), at::index_select(T(info[0]), I(info[1]), T(info[2]))); }
static Napi::Value gather(const Napi::CallbackInfo& info) { return Wrap(info.Env(), at::gather(T(info[0]), I(info[1]), T(info[2]))); }
// scatter(t, dim, index, src tensor | number, add)
static Napi::Value scatter(const Napi::CallbackInfo& info) {
  if (B(info[4])) return Wrap(info.Env(), at::scatter_add(T(info[0]), I(info[1]), T(info[2]), T(info[3])));
  if (info[3].IsExternal()) return Wrap(info.Env(), at::scatter(T(info[0]), I(info[1]), T(info[2]), T(info[3])));
  return Wrap(info.Env(), at::scatter(T(info[0]), I(info[1]), T(info[2]), S(info[3])));
}
static c10::List<c10::optional<at::Tensor>> IndexList(const Napi::Value& v) {
  auto a = v.As<Napi::Array>();
  c10::List<c10::optional<at::Tensor>> l;
  for (uint32_t i = 0; i < a.Length(); i++) {
    auto x = a.Get(i);
    if (x.IsNull() || x.IsUndefined()) l.push_back(c10::nullopt);
    else l.push_back(T(x));
  }
  return l;
}
// index(t, [tensor | null, ...]): advanced indexing t[i0, i1, ...]
static Napi::Value index(const Napi::CallbackInfo& info) { return Wrap(info.Env(), at::index(T(info[0]), IndexList(info[1]))); }
// indexPut(t, indices, values, accumulate, inplace)
static Napi::Value indexPut(const Napi::CallbackInfo& info) {
  if (B(info[4])) {
    auto t = T(info[0]);
    t.index_put_(IndexList(info[1]), T(info[2]), B(info[3]));
    return info.Env().Undefined();
  }
  return Wrap(info.Env(), at::index_put(T(info[0]), IndexList(info[1]), T(info[2]), B(info[3])));
}
static Napi::Value maskedFill(const Napi::CallbackInfo& info) {
  if (info[2].IsExternal()) return Wrap(info.Env(), at::masked_fill(T(info[0]), T(info[1]), T(info[2])));
  return Wrap(info.Env(), at::masked_fill(T(info[0]), T(info[1]), S(info[2])));
}
static Napi::Value maskedSelect(const Napi::CallbackInfo& info) { return Wrap(info.Env(), at::masked_select(T(info[0]), T(info[1]))); }
static Napi::Value nonzero(const Napi::CallbackInfo& info) { return Wrap(info.Env(), at::nonzero(T(info[0]))); }
static Napi::Value tril(const Napi::CallbackInfo& info) { return Wrap(info.Env(), at::tril(T(info[0]), I(info[1]))); }
static Napi::Value triu(const Napi::CallbackInfo& info) { return Wrap(info.Env(), at::triu(T(info[0]), I(info[1]))); }
static Napi::Value flip(const Napi::CallbackInfo& info) { return Wrap(info.Env(), at::flip(T(info[0]), Ints(info[1]))); }
static Napi::Value roll(const Napi::CallbackInfo& info) { return Wrap(info.Env(), at::roll(T(info[0]), Ints(info[1]), Ints(info[2]))); }
static Napi::Value oneHot(const Napi::CallbackInfo& info) { return Wrap(info.Env(), at::one_hot(T(info[0]), I(info[1]))); }
static Napi::Value outer(const Napi::CallbackInfo& info) { return Wrap(info.Env(), at::outer(T(info[0]), T(info[1]))); }
static Napi::Value einsum(const Napi::CallbackInfo& info) {
  return Wrap(info.Env(), at::einsum(info[0].As<Napi::String>().Utf8Value(), Tensors(info[1])));
}

// opTables(): the op names in code order, as compiled (test/native-tables.test.ts compares them
// with the TypeScript tables).
static Napi::Value opTables(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto names = [&](const char* const* list, int n) {
    auto a = Napi::Array::New(env, n);
    for (int i = 0; i < n; i++) a.Set(static_cast<uint32_t>(i), Napi::String::New(env, list[i]));
    return a;
  };
  auto o = Napi::Object::New(env);
  o.Set("unary", names(kUnaryNames, kUnaryCount));
  o.Set("binary", names(kBinaryNames, kBinaryCount));
  o.Set("reduce", names(kReduceNames, kReduceCount));
  return o;
}

void InitOps(Napi::Env env, Napi::Object e) {
  CT_EXPORT(e, opTables);
  CT_EXPORT(e, unary);
  CT_EXPORT(e, binary);
  CT_EXPORT(e, addScaled);
  CT_EXPORT(e, addcmul);
  CT_EXPORT(e, addcdiv);
  CT_EXPORT(e, lerp);
  CT_EXPORT(e, clamp);
  CT_EXPORT(e, where);
  CT_EXPORT(e, reduce);
  CT_EXPORT(e, maxDim);
  CT_EXPORT(e, argmax);
  CT_EXPORT(e, cumsum);
  CT_EXPORT(e, cumprod);
  CT_EXPORT(e, sort);
  CT_EXPORT(e, topk);
  CT_EXPORT(e, softmax);
  CT_EXPORT(e, logSoftmax);
  CT_EXPORT(e, reshape);
  CT_EXPORT(e, view);
  CT_EXPORT(e, permute);
  CT_EXPORT(e, transpose);
  CT_EXPORT(e, squeeze);
  CT_EXPORT(e, unsqueeze);
  CT_EXPORT(e, flatten);
  CT_EXPORT(e, expand);
  CT_EXPORT(e, repeat);
  CT_EXPORT(e, cat);
  CT_EXPORT(e, stack);
  CT_EXPORT(e, split);
  CT_EXPORT(e, chunk);
  CT_EXPORT(e, unbind);
  CT_EXPORT(e, slice);
  CT_EXPORT(e, asStrided);
  CT_EXPORT(e, narrow);
  CT_EXPORT(e, select);
  CT_EXPORT(e, indexSelect);
  CT_EXPORT(e, gather);
  CT_EXPORT(e, scatter);
  CT_EXPORT(e, index);
  CT_EXPORT(e, indexPut);
  CT_EXPORT(e, maskedFill);
  CT_EXPORT(e, maskedSelect);
  CT_EXPORT(e, nonzero);
  CT_EXPORT(e, tril);
  CT_EXPORT(e, triu);
  CT_EXPORT(e, flip);
  CT_EXPORT(e, roll);
  CT_EXPORT(e, oneHot);
  CT_EXPORT(e, outer);
  CT_EXPORT(e, einsum);
}

}  // namespace ct
