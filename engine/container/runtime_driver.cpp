#include "engine/container/runtime_driver.h"

#include "engine/cgroup/cgroup.h"
#include "engine/runtime/runtime.h"

namespace berth::container {

std::unique_ptr<RuntimeDriver> make_external_runtime(const std::string& binary, const std::string& state_dir);

namespace {

// The embedded runtime, in-process: no exec of a runtime binary, no fifo round trip between create and start.
class EmbeddedRuntime final : public RuntimeDriver {
 public:
  explicit EmbeddedRuntime(std::string state_dir) : runtime_(std::move(state_dir)) {}

  Result<Launched> launch(const LaunchRequest& request) override {
    runtime::CreateOptions options;
    options.bundle = request.bundle;
    options.id = request.id;
    options.stdin_fd = request.stdin_fd;
    options.stdout_fd = request.stdout_fd;
    options.stderr_fd = request.stderr_fd;
    options.return_console = request.tty;
    auto created = BERTH_TRY(runtime_.run(options));
    Launched launched;
    launched.init = created.init;
    launched.console_master = std::move(created.console_master);
    return launched;
  }

  Result<ExecStarted> exec(const ExecRequest& request) override {
    runtime::ExecOptions options;
    options.process_json = request.process_json;
    options.stdin_fd = request.stdin_fd;
    options.stdout_fd = request.stdout_fd;
    options.stderr_fd = request.stderr_fd;
    options.tty = request.tty;
    auto process = BERTH_TRY(runtime_.exec(request.id, options));
    ExecStarted started;
    started.pid = process.process.pid;
    started.console_master = std::move(process.console_master);
    return started;
  }

  Result<void> destroy(const std::string& id) override {
    auto removed = runtime_.remove(id, true);
    if (removed) return {};
    if (removed.error().errno_value() != ENOENT) return removed;
    // The runtime's state lives in /run; after a reboot (or a cleared /run) it is gone while the cgroup may not be.
    // The cgroup's path is ours ("berth/<id>"), so it is removed by path then; a missing one is fine.
    if (auto layout = cgroup::detect(); layout) BERTH_TRY(cgroup::Cgroup::open(*layout, "berth/" + id).remove());
    return {};
  }

 private:
  runtime::Runtime runtime_;
};

}  // namespace

std::unique_ptr<RuntimeDriver> make_runtime_driver(const std::string& runtime_path, const std::string& state_dir) {
  if (runtime_path.empty()) return std::make_unique<EmbeddedRuntime>(state_dir);
  return make_external_runtime(runtime_path, state_dir);
}

}  // namespace berth::container
