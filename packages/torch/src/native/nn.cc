// Neural-network ops (torch.nn.functional): layers, pooling, normalisation, losses, attention,
// and fused optimizer steps.
#include <c10/core/GradMode.h>
#include <cmath>

#include "common.h"

namespace ct {

static int64_t Reduction(const Napi::Value& v) {
  auto s = v.As<Napi::String>().Utf8Value();
  if (s == "mean") return at::Reduction::Mean;
  if (s == "sum") return at::Reduction::Sum;
  if (s == "none") return at::Reduction::None;
  throw ArgumentError("reduction must be 'mean', 'sum' or 'none', got '" + s + "'");
}

static Napi::Value linear(const Napi::CallbackInfo& info) { return Wrap(info.Env(), at::linear(T(info[0]), T(info[1]), OptT(info[2]))); }
// conv(x, w, b, stride[], padding[], dilation[], groups): 1d/2d/3d by the input's rank
static Napi::Value conv(const Napi::CallbackInfo& info) {
  const auto& x = T(info[0]);
  auto s = Ints(info[3]), p = Ints(info[4]), d = Ints(info[5]);
  int64_t g = I(info[6]);
  switch (x.dim()) {
    case 3: return Wrap(info.Env(), at::conv1d(x, T(info[1]), OptT(info[2]), s, p, d, g));
    case 4: return Wrap(info.Env(), at::conv2d(x, T(info[1]), OptT(info[2]), s, p, d, g));
    case 5: return Wrap(info.Env(), at::conv3d(x, T(info[1]), OptT(info[2]), s, p, d, g));
  }
  throw ArgumentError("conv expects a 3-D, 4-D or 5-D input (batched), got " + std::to_string(x.dim()) + "-D");
}
// convTranspose2d(x, w, b, stride, padding, outputPadding, groups, dilation)
static Napi::Value convTranspose2d(const Napi::CallbackInfo& info) {
  return Wrap(info.Env(), at::conv_transpose2d(T(info[0]), T(info[1]), OptT(info[2]), Ints(info[3]), Ints(info[4]), Ints(info[5]), I(info[6]), Ints(info[7])));
}
// maxPool2d(x, kernel, stride, padding, dilation, ceilMode)
static Napi::Value maxPool2d(const Napi::CallbackInfo& info) {
  return Wrap(info.Env(), at::max_pool2d(T(info[0]), Ints(info[1]), Ints(info[2]), Ints(info[3]), Ints(info[4]), B(info[5])));
}
static Napi::Value maxPool1d(const Napi::CallbackInfo& info) {
  return Wrap(info.Env(), at::max_pool1d(T(info[0]), Ints(info[1]), Ints(info[2]), Ints(info[3]), Ints(info[4]), B(info[5])));
}
// avgPool2d(x, kernel, stride, padding, ceilMode, countIncludePad)
static Napi::Value avgPool2d(const Napi::CallbackInfo& info) {
  return Wrap(info.Env(), at::avg_pool2d(T(info[0]), Ints(info[1]), Ints(info[2]), Ints(info[3]), B(info[4]), B(info[5])));
}
static Napi::Value avgPool1d(const Napi::CallbackInfo& info) {
  return Wrap(info.Env(), at::avg_pool1d(T(info[0]), Ints(info[1]), Ints(info[2]), Ints(info[3]), B(info[4]), B(info[5])));
}
static Napi::Value adaptiveAvgPool2d(const Napi::CallbackInfo& info) { return Wrap(info.Env(), at::adaptive_avg_pool2d(T(info[0]), Ints(info[1]))); }
static Napi::Value adaptiveMaxPool2d(const Napi::CallbackInfo& info) {
  return Wrap(info.Env(), std::get<0>(at::adaptive_max_pool2d(T(info[0]), Ints(info[1]))));
}
// batchNorm(x, weight, bias, runningMean, runningVar, training, momentum, eps)
static Napi::Value batchNorm(const Napi::CallbackInfo& info) {
  return Wrap(info.Env(), at::batch_norm(T(info[0]), OptT(info[1]), OptT(info[2]), OptT(info[3]), OptT(info[4]), B(info[5]), D(info[6]), D(info[7]), true));
}
// layerNorm(x, normalizedShape, weight, bias, eps)
static Napi::Value layerNorm(const Napi::CallbackInfo& info) {
  return Wrap(info.Env(), at::layer_norm(T(info[0]), Ints(info[1]), OptT(info[2]), OptT(info[3]), D(info[4]), true));
}
// groupNorm(x, groups, weight, bias, eps)
static Napi::Value groupNorm(const Napi::CallbackInfo& info) {
  return Wrap(info.Env(), at::group_norm(T(info[0]), I(info[1]), OptT(info[2]), OptT(info[3]), D(info[4]), true));
}
// dropout(x, p, training, inplace)
static Napi::Value dropout(const Napi::CallbackInfo& info) {
  if (B(info[3])) {
    auto t = T(info[0]);
    at::dropout_(t, D(info[1]), B(info[2]));
    return info.Env().Undefined();
  }
  return Wrap(info.Env(), at::dropout(T(info[0]), D(info[1]), B(info[2])));
}
static Napi::Value leakyRelu(const Napi::CallbackInfo& info) { return Wrap(info.Env(), at::leaky_relu(T(info[0]), S(info[1]))); }
static Napi::Value elu(const Napi::CallbackInfo& info) { return Wrap(info.Env(), at::elu(T(info[0]), S(info[1]))); }
static Napi::Value hardtanh(const Napi::CallbackInfo& info) { return Wrap(info.Env(), at::hardtanh(T(info[0]), S(info[1]), S(info[2]))); }
static Napi::Value softplus(const Napi::CallbackInfo& info) { return Wrap(info.Env(), at::softplus(T(info[0]), S(info[1]), S(info[2]))); }
// crossEntropy(x, target, weight, reduction, ignoreIndex, labelSmoothing)
static Napi::Value crossEntropy(const Napi::CallbackInfo& info) {
  return Wrap(info.Env(), at::cross_entropy_loss(T(info[0]), T(info[1]), OptT(info[2]), Reduction(info[3]), I(info[4]), D(info[5])));
}
// nllLoss(x, target, weight, reduction, ignoreIndex)
static Napi::Value nllLoss(const Napi::CallbackInfo& info) {
  return Wrap(info.Env(), at::nll_loss_nd(T(info[0]), T(info[1]), OptT(info[2]), Reduction(info[3]), I(info[4])));
}
static Napi::Value mseLoss(const Napi::CallbackInfo& info) { return Wrap(info.Env(), at::mse_loss(T(info[0]), T(info[1]), Reduction(info[2]))); }
static Napi::Value l1Loss(const Napi::CallbackInfo& info) { return Wrap(info.Env(), at::l1_loss(T(info[0]), T(info[1]), Reduction(info[2]))); }
static Napi::Value smoothL1Loss(const Napi::CallbackInfo& info) {
  return Wrap(info.Env(), at::smooth_l1_loss(T(info[0]), T(info[1]), Reduction(info[2]), D(info[3])));
}
static Napi::Value huberLoss(const Napi::CallbackInfo& info) {
  return Wrap(info.Env(), at::huber_loss(T(info[0]), T(info[1]), Reduction(info[2]), D(info[3])));
}
// bceWithLogits(x, y, weight, posWeight, reduction)
static Napi::Value bceWithLogits(const Napi::CallbackInfo& info) {
  return Wrap(info.Env(), at::binary_cross_entropy_with_logits(T(info[0]), T(info[1]), OptT(info[2]), OptT(info[3]), Reduction(info[4])));
}
static Napi::Value bce(const Napi::CallbackInfo& info) {
  return Wrap(info.Env(), at::binary_cross_entropy(T(info[0]), T(info[1]), OptT(info[2]), Reduction(info[3])));
}
static Napi::Value klDiv(const Napi::CallbackInfo& info) {
  return Wrap(info.Env(), at::kl_div(T(info[0]), T(info[1]), Reduction(info[2]), B(info[3])));
}
// embedding(weight, indices, paddingIdx)
static Napi::Value embedding(const Napi::CallbackInfo& info) {
  return Wrap(info.Env(), at::embedding(T(info[0]), T(info[1]), I(info[2]), false, false));
}
// pad(x, pads[], mode, value)
static Napi::Value pad(const Napi::CallbackInfo& info) {
  const auto& x = T(info[0]);
  auto p = Ints(info[1]);
  auto mode = info[2].As<Napi::String>().Utf8Value();
  if (mode == "constant") return Wrap(info.Env(), at::constant_pad_nd(x, p, S(info[3])));
  if (mode == "reflect") {
    if (p.size() == 2) return Wrap(info.Env(), at::reflection_pad1d(x, p));
    if (p.size() == 4) return Wrap(info.Env(), at::reflection_pad2d(x, p));
  }
  if (mode == "replicate") {
    if (p.size() == 2) return Wrap(info.Env(), at::replication_pad1d(x, p));
    if (p.size() == 4) return Wrap(info.Env(), at::replication_pad2d(x, p));
  }
  throw ArgumentError("pad: mode '" + mode + "' with " + std::to_string(p.size()) + " pad values is not supported");
}
// interpolate(x, size[2], mode, alignCorners)
static Napi::Value interpolate(const Napi::CallbackInfo& info) {
  auto size = Ints(info[1]);
  auto mode = info[2].As<Napi::String>().Utf8Value();
  if (mode == "nearest") return Wrap(info.Env(), at::upsample_nearest2d(T(info[0]), size));
  if (mode == "bilinear") return Wrap(info.Env(), at::upsample_bilinear2d(T(info[0]), size, B(info[3])));
  throw ArgumentError("interpolate: mode must be 'nearest' or 'bilinear', got '" + mode + "'");
}
static Napi::Value pixelShuffle(const Napi::CallbackInfo& info) { return Wrap(info.Env(), at::pixel_shuffle(T(info[0]), I(info[1]))); }
static Napi::Value cosineSimilarity(const Napi::CallbackInfo& info) {
  return Wrap(info.Env(), at::cosine_similarity(T(info[0]), T(info[1]), I(info[2]), D(info[3])));
}
static Napi::Value normalize(const Napi::CallbackInfo& info) {
  const auto& x = T(info[0]);
  auto n = at::linalg_vector_norm(x, D(info[1]), at::IntArrayRef{I(info[2])}, true).clamp_min(D(info[3]));
  return Wrap(info.Env(), x / n);
}

// scaledDotProductAttention(q, k, v, mask | null, dropoutP, isCausal, training):
// softmax(q k^T / sqrt(d) + mask) v over the last two dims. A bool mask marks the positions that
// take part (True = attend), a float mask is added to the scores (as in PyTorch 2).
static Napi::Value scaledDotProductAttention(const Napi::CallbackInfo& info) {
  const auto& q = T(info[0]);
  const auto& k = T(info[1]);
  const auto& v = T(info[2]);
  auto mask = OptT(info[3]);
  double p = D(info[4]);
  bool causal = B(info[5]);
  bool training = B(info[6]);
  int64_t L = q.size(-2), Sk = k.size(-2);
  auto scores = at::matmul(q, k.transpose(-2, -1)) * (1.0 / std::sqrt(static_cast<double>(q.size(-1))));
  if (causal) {
    auto keep = at::ones({L, Sk}, q.options().dtype(at::kBool)).tril();
    scores = scores.masked_fill(keep.logical_not(), -std::numeric_limits<double>::infinity());
  }
  if (mask.defined()) {
    if (mask.scalar_type() == at::kBool) scores = scores.masked_fill(mask.logical_not(), -std::numeric_limits<double>::infinity());
    else scores = scores + mask;
  }
  auto attn = at::softmax(scores, -1);
  if (p > 0 && training) attn = at::dropout(attn, p, true);
  auto out = at::matmul(attn, v);
  return WrapList(info.Env(), {out, attn});
}

// ---- fused optimizer steps (no autograd; the same arithmetic as torch.optim's for-loop versions) ----
// adamStep(params[], grads[], expAvg[], expAvgSq[], maxExpAvgSq[] | null, step, lr, beta1, beta2, eps,
//          weightDecay, decoupled (AdamW), amsgrad)
static Napi::Value adamStep(const Napi::CallbackInfo& info) {
  at::NoGradGuard guard;
  auto ps = Tensors(info[0]), gs = Tensors(info[1]), m = Tensors(info[2]), v = Tensors(info[3]);
  std::vector<at::Tensor> vmax;
  bool ams = B(info[12]);
  if (ams) vmax = Tensors(info[4]);
  double step = D(info[5]), lr = D(info[6]), b1 = D(info[7]), b2 = D(info[8]), eps = D(info[9]), wd = D(info[10]);
  bool decoupled = B(info[11]);
  double bc1 = 1 - std::pow(b1, step), bc2 = 1 - std::pow(b2, step);
  double stepSize = lr / bc1, bc2Sqrt = std::sqrt(bc2);
  for (size_t i = 0; i < ps.size(); i++) {
    auto& p = ps[i];
    at::Tensor g = gs[i];
    if (wd != 0) {
      if (decoupled) p.mul_(1 - lr * wd);
      else g = g.add(p, wd);
    }
    m[i].mul_(b1).add_(g, 1 - b1);
    v[i].mul_(b2).addcmul_(g, g, 1 - b2);
    at::Tensor denom;
    if (ams) {
      at::maximum_out(vmax[i], vmax[i], v[i]);
      denom = (vmax[i].sqrt() / bc2Sqrt).add_(eps);
    } else {
      denom = (v[i].sqrt() / bc2Sqrt).add_(eps);
    }
    p.addcdiv_(m[i], denom, -stepSize);
  }
  return info.Env().Undefined();
}
// sgdStep(params[], grads[], momentumBufs[] | null, lr, momentum, dampening, weightDecay, nesterov, first)
static Napi::Value sgdStep(const Napi::CallbackInfo& info) {
  at::NoGradGuard guard;
  auto ps = Tensors(info[0]), gs = Tensors(info[1]);
  double lr = D(info[3]), mom = D(info[4]), damp = D(info[5]), wd = D(info[6]);
  bool nesterov = B(info[7]), first = B(info[8]);
  std::vector<at::Tensor> bufs;
  if (mom != 0) bufs = Tensors(info[2]);
  for (size_t i = 0; i < ps.size(); i++) {
    at::Tensor g = gs[i];
    if (wd != 0) g = g.add(ps[i], wd);
    if (mom != 0) {
      auto& b = bufs[i];
      if (first) b.copy_(g);
      else b.mul_(mom).add_(g, 1 - damp);
      g = nesterov ? g.add(b, mom) : b;
    }
    ps[i].add_(g, -lr);
  }
  return info.Env().Undefined();
}

void InitNN(Napi::Env env, Napi::Object e) {
  CT_EXPORT(e, linear);
  CT_EXPORT(e, conv);
  CT_EXPORT(e, convTranspose2d);
  CT_EXPORT(e, maxPool2d);
  CT_EXPORT(e, maxPool1d);
  CT_EXPORT(e, avgPool2d);
  CT_EXPORT(e, avgPool1d);
  CT_EXPORT(e, adaptiveAvgPool2d);
  CT_EXPORT(e, adaptiveMaxPool2d);
  CT_EXPORT(e, batchNorm);
  CT_EXPORT(e, layerNorm);
  CT_EXPORT(e, groupNorm);
  CT_EXPORT(e, dropout);
  CT_EXPORT(e, leakyRelu);
  CT_EXPORT(e, elu);
  CT_EXPORT(e, hardtanh);
  CT_EXPORT(e, softplus);
  CT_EXPORT(e, crossEntropy);
  CT_EXPORT(e, nllLoss);
  CT_EXPORT(e, mseLoss);
  CT_EXPORT(e, l1Loss);
  CT_EXPORT(e, smoothL1Loss);
  CT_EXPORT(e, huberLoss);
  CT_EXPORT(e, bceWithLogits);
  CT_EXPORT(e, bce);
  CT_EXPORT(e, klDiv);
  CT_EXPORT(e, embedding);
  CT_EXPORT(e, pad);
  CT_EXPORT(e, interpolate);
  CT_EXPORT(e, pixelShuffle);
  CT_EXPORT(e, cosineSimilarity);
  CT_EXPORT(e, normalize);
  CT_EXPORT(e, scaledDotProductAttention);
  CT_EXPORT(e, adamStep);
  CT_EXPORT(e, sgdStep);
}

}  // namespace ct
