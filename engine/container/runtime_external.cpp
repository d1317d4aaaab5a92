// An external OCI runtime (runc, crun, youki, or berth-runtime itself) driven through the OCI runtime command line,
// as conmon and containerd-shim drive runc.
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fmt/core.h>

#include "core/fs.h"
#include "core/text.h"
#include "engine/container/runtime_driver.h"

namespace berth::container {
namespace {

Result<UniqueFd> receive_fd(int socket_fd) {
  char byte[256];
  iovec io{byte, sizeof byte};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
  msghdr header{};
  header.msg_iov = &io;
  header.msg_iovlen = 1;
  header.msg_control = control;
  header.msg_controllen = sizeof control;
  if (::recvmsg(socket_fd, &header, MSG_CMSG_CLOEXEC) < 0) return sys_error("receive console fd");
  for (cmsghdr* cmsg = CMSG_FIRSTHDR(&header); cmsg; cmsg = CMSG_NXTHDR(&header, cmsg)) {
    if (cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SCM_RIGHTS) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(cmsg), sizeof fd);
      return UniqueFd(fd);
    }
  }
  return unexpected(Error("the runtime sent no console fd", EPROTO));
}

class ExternalRuntime final : public RuntimeDriver {
 public:
  ExternalRuntime(std::string binary, std::string state_dir)
      : binary_(std::move(binary)), state_dir_(std::move(state_dir)) {}

  Result<Launched> launch(const LaunchRequest& request) override {
    BERTH_TRY(fs::make_directories(root(), 0700));
    std::string pid_file = fmt::format("{}/{}.pid", root(), request.id);
    std::vector<std::string> args{"create", "--bundle", request.bundle, "--pid-file", pid_file};
    UniqueFd console_listener;
    std::string console_path;
    if (request.tty) {
      console_path = fmt::format("{}/{}.console", root(), text::short_id(request.id));
      console_listener = BERTH_TRY(listen_unix(console_path));
      args.push_back("--console-socket");
      args.push_back(console_path);
    }
    args.push_back(request.id);
    auto created = run_runtime(args, request.stdin_fd, request.stdout_fd, request.stderr_fd);
    if (!console_path.empty()) ::unlink(console_path.c_str());
    BERTH_TRY(std::move(created).context(fmt::format("{} create", binary_)));

    Launched launched;
    if (request.tty) {
      UniqueFd connection(::accept4(console_listener.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
      if (!connection) return sys_error("accept the runtime's console connection");
      pollfd ready{connection.get(), POLLIN, 0};
      ::poll(&ready, 1, 5000);
      launched.console_master = BERTH_TRY(receive_fd(connection.get()));
    }
    auto pid_text = BERTH_TRY(fs::read_file(pid_file));
    pid_t pid = static_cast<pid_t>(std::atoi(pid_text.c_str()));
    launched.init = BERTH_TRY(identify_process(pid));
    BERTH_TRY(run_runtime({"start", request.id}, -1, -1, -1).context(fmt::format("{} start", binary_)));
    return launched;
  }

  Result<ExecStarted> exec(const ExecRequest& request) override {
    BERTH_TRY(fs::make_directories(root(), 0700));
    std::string process_file = fmt::format("{}/{}.exec-{}.json", root(), request.id, ::getpid());
    BERTH_TRY(fs::write_file_atomic(process_file, request.process_json, 0600, fs::Durability::process_crash));
    std::vector<std::string> args{"exec", "--process", process_file};
    UniqueFd console_listener;
    std::string console_path;
    if (request.tty) {
      console_path = fmt::format("{}/{}.exec-{}.console", root(), text::short_id(request.id), ::getpid());
      console_listener = BERTH_TRY(listen_unix(console_path));
      args.push_back("--tty");
      args.push_back("--console-socket");
      args.push_back(console_path);
    }
    args.push_back(request.id);
    ExecStarted started;
    started.waiter = BERTH_TRY(spawn(args, request.stdin_fd, request.stdout_fd, request.stderr_fd));
    if (request.tty) {
      pollfd ready{console_listener.get(), POLLIN, 0};
      if (::poll(&ready, 1, 10000) > 0) {
        UniqueFd connection(::accept4(console_listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
        if (connection) started.console_master = BERTH_TRY(receive_fd(connection.get()));
      }
      ::unlink(console_path.c_str());
    }
    started.pid = started.waiter;
    return started;
  }

  Result<void> destroy(const std::string& id) override {
    auto deleted = run_runtime({"delete", "--force", id}, -1, -1, -1);
    ::unlink(fmt::format("{}/{}.pid", root(), id).c_str());
    if (!deleted && deleted.error().message().find("does not exist") == std::string::npos &&
        deleted.error().message().find("not found") == std::string::npos)
      return deleted;
    return {};
  }

 private:
  std::string root() const { return state_dir_ + "/external"; }

  Result<UniqueFd> listen_unix(const std::string& path) {
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) return sys_error("socket");
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (path.size() >= sizeof address.sun_path) return unexpected(Error("console socket path too long: " + path));
    std::strcpy(address.sun_path, path.c_str());
    ::unlink(path.c_str());
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
      return sys_error(fmt::format("bind {}", path));
    if (::listen(fd.get(), 1) != 0) return sys_error(fmt::format("listen {}", path));
    return fd;
  }

  Result<pid_t> spawn(const std::vector<std::string>& args, int in, int out, int err, int log_fd = -1,
                      const std::string& log_path = "") {
    std::vector<std::string> argv{binary_, "--root", root()};
    if (!log_path.empty()) {
      argv.push_back("--log");
      argv.push_back(log_path);
    }
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> c_argv;
    for (auto& a : argv) c_argv.push_back(a.data());
    c_argv.push_back(nullptr);
    (void)log_fd;
    pid_t child = ::fork();
    if (child < 0) return sys_error("fork");
    if (child == 0) {
      int null_fd = ::open("/dev/null", O_RDWR);
      ::dup2(in >= 0 ? in : null_fd, 0);
      ::dup2(out >= 0 ? out : null_fd, 1);
      ::dup2(err >= 0 ? err : null_fd, 2);
      ::close_range(3, ~0U, 0);
      ::execv(c_argv[0], c_argv.data());
      _exit(127);
    }
    return child;
  }

  Result<void> run_runtime(const std::vector<std::string>& args, int in, int out, int err) {
    std::string log_path = fmt::format("{}/runtime-{}.log", root(), ::getpid());
    ::unlink(log_path.c_str());
    pid_t child = BERTH_TRY(spawn(args, in, out, err, -1, log_path));
    int status = BERTH_TRY(wait_for_child(child));
    std::string log_text = fs::read_file(log_path).value_or("");
    ::unlink(log_path.c_str());
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {};
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && log_text.empty())
      return unexpected(Error(fmt::format("cannot execute runtime {}", binary_), ENOENT));
    // runc's log is JSON lines ({"level":"error","msg":"..."}) or plain text; show the last message.
    std::string message = std::string(text::trim(log_text));
    if (auto at = message.rfind("\"msg\":\""); at != std::string::npos) {
      auto end = message.find('"', at + 7);
      message = message.substr(at + 7, end == std::string::npos ? std::string::npos : end - at - 7);
    } else if (auto newline = message.rfind('\n'); newline != std::string::npos) {
      message = message.substr(newline + 1);
    }
    if (message.empty()) message = fmt::format("exit status {}", exit_code_from_wait_status(status));
    int error_number = message.find("no such file") != std::string::npos ||
                               message.find("not found") != std::string::npos
                           ? ENOENT
                           : message.find("permission denied") != std::string::npos ? EACCES : 0;
    return unexpected(Error(message, error_number));
  }

  std::string binary_;
  std::string state_dir_;
};

}  // namespace

std::unique_ptr<RuntimeDriver> make_external_runtime(const std::string& binary, const std::string& state_dir) {
  return std::make_unique<ExternalRuntime>(binary, state_dir);
}

}  // namespace berth::container
