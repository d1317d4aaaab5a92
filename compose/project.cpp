#include "compose/project.h"

#include <set>

namespace berth::compose {

int64_t ServiceConfig::replicas() const {
  if (scale) return *scale;
  if (deploy && deploy->replicas) return *deploy->replicas;
  return 1;
}

std::vector<std::string> Project::services_in_dependency_order() const {
  // Depth-first, iteratively (a long dependency chain must not exhaust the stack); cycles are rejected by the
  // loader, and are simply cut here.
  std::vector<std::string> order;
  std::set<std::string> done, on_path;
  for (const auto& [root, root_service] : services) {
    if (done.count(root)) continue;
    struct Frame {
      const std::string* name;
      std::vector<const std::string*> dependencies;
      size_t next = 0;
    };
    auto frame_for = [&](const std::string& name) {
      Frame frame{&name, {}, 0};
      for (const auto& [dependency, options] : services.at(name).depends_on)
        if (services.count(dependency)) frame.dependencies.push_back(&dependency);
      return frame;
    };
    std::vector<Frame> stack{frame_for(root)};
    on_path.insert(root);
    while (!stack.empty()) {
      Frame& top = stack.back();
      if (top.next == top.dependencies.size()) {
        done.insert(*top.name);
        on_path.erase(*top.name);
        order.push_back(*top.name);
        stack.pop_back();
        continue;
      }
      const std::string& dependency = *top.dependencies[top.next++];
      if (done.count(dependency) || on_path.count(dependency)) continue;
      on_path.insert(dependency);
      stack.push_back(frame_for(dependency));
    }
  }
  return order;
}

}  // namespace berth::compose
