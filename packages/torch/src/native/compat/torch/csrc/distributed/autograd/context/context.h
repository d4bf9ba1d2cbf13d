// Stand-in for libtorch's distributed-autograd context header, which Debian's libtorch-dev does not
// ship although c10d/reducer.hpp includes it. reducer.hpp only names two of its types, and only
// through a std::shared_ptr and a pointer, so the Reducer's layout does not depend on what they hold.
// binding.gyp puts this folder after libtorch's own include folders: a libtorch that has the real
// header uses it.
#pragma once
#include <ATen/ATen.h>

#include <functional>
#include <memory>

namespace torch {
namespace distributed {
namespace autograd {

class DistAutogradContext {
 public:
  using GradCallback = std::function<bool(at::Tensor&)>;
};
using ContextPtr = std::shared_ptr<DistAutogradContext>;

}  // namespace autograd
}  // namespace distributed
}  // namespace torch
