#include "engine/container/engine.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <ctime>
#include <fmt/core.h>

#include "core/fs.h"
#include "core/log.h"
#include "core/process.h"
#include "core/text.h"
#include "engine/container/rootfs.h"
#include "engine/container/runtime_driver.h"
#include "engine/container/supervisor.h"
#include "engine/image/image_store.h"
#include "engine/spec/spec.h"

extern char** environ;

namespace berth::container {
namespace {

constexpr const char* kNeverTime = "0001-01-01T00:00:00Z";

struct Message {
  std::string text;
  UniqueFd fd;
};

// One packet from the supervisor; empty text when it hung up.
Result<Message> receive_message(int fd, int timeout_ms = -1) {
  if (timeout_ms >= 0) {
    pollfd ready{fd, POLLIN, 0};
    int n;
    while ((n = ::poll(&ready, 1, timeout_ms)) < 0 && errno == EINTR) {
    }
    if (n == 0) return unexpected(Error("timed out waiting for the container's supervisor", ETIMEDOUT));
  }
  char buffer[4096];
  iovec io{buffer, sizeof buffer - 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
  msghdr header{};
  header.msg_iov = &io;
  header.msg_iovlen = 1;
  header.msg_control = control;
  header.msg_controllen = sizeof control;
  ssize_t n;
  while ((n = ::recvmsg(fd, &header, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR) {
  }
  if (n < 0) return sys_error("read from the container's supervisor");
  Message message;
  message.text.assign(buffer, static_cast<size_t>(n));
  for (cmsghdr* cmsg = CMSG_FIRSTHDR(&header); cmsg; cmsg = CMSG_NXTHDR(&header, cmsg)) {
    if (cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SCM_RIGHTS) {
      int passed;
      std::memcpy(&passed, CMSG_DATA(cmsg), sizeof passed);
      message.fd.reset(passed);
    }
  }
  return message;
}

void send_text(int fd, const std::string& text) { ::send(fd, text.data(), text.size(), MSG_NOSIGNAL); }

// Starts `berth supervise` fully detached from us (double fork, so it is never our zombie) and returns our end of
// its sync socket.
Result<UniqueFd> spawn_supervisor(const std::string& self, const StateRoot& state, const std::string& id,
                                  bool attached, bool open_stdin) {
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) return sys_error("socketpair");
  UniqueFd ours(pair[0]), theirs(pair[1]);
  std::vector<std::string> argv{self, "supervise", "--lib", state.lib, "--run", state.run};
  if (attached) argv.push_back("--attached");
  argv.push_back(id);
  std::vector<char*> c_argv;
  for (auto& a : argv) c_argv.push_back(a.data());
  c_argv.push_back(nullptr);

  pid_t middle = ::fork();
  if (middle < 0) return sys_error("fork");
  if (middle == 0) {
    pid_t supervisor = ::fork();
    if (supervisor != 0) _exit(supervisor < 0 ? 1 : 0);
    int null_fd = ::open("/dev/null", O_RDWR);
    if (!attached) {
      ::dup2(null_fd, 0);
      ::dup2(null_fd, 1);
      ::dup2(null_fd, 2);
    } else if (!open_stdin) {
      ::dup2(null_fd, 0);
    }
    ::dup2(theirs.get(), kSupervisorSyncFd);
    ::close_range(kSupervisorSyncFd + 1, ~0U, 0);
    ::execve(c_argv[0], c_argv.data(), environ);
    _exit(127);
  }
  int status = 0;
  while (::waitpid(middle, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return unexpected(Error("could not start the supervisor"));
  return ours;
}

// The terminal in raw mode while attached to a tty container, restored on every way out.
class RawTerminal {
 public:
  explicit RawTerminal(int fd) : fd_(fd) {
    if (!::isatty(fd) || ::tcgetattr(fd, &saved_) != 0) return;
    termios raw = saved_;
    ::cfmakeraw(&raw);
    raw.c_oflag |= OPOST;  // keep output post-processing, as docker does
    active_ = ::tcsetattr(fd, TCSANOW, &raw) == 0;
  }
  ~RawTerminal() {
    if (active_) ::tcsetattr(fd_, TCSANOW, &saved_);
  }

 private:
  int fd_;
  termios saved_{};
  bool active_ = false;
};

void send_window_size(int sync_fd, int master) {
  winsize size{};
  if (::ioctl(1, TIOCGWINSZ, &size) != 0 && ::ioctl(0, TIOCGWINSZ, &size) != 0) return;
  if (master >= 0) ::ioctl(master, TIOCSWINSZ, &size);
  else send_text(sync_fd, fmt::format("resize {} {}", size.ws_row, size.ws_col));
}

// Waits for "exit N" while forwarding our signals to the container and window sizes to its tty.
Result<int> follow_attached(int sync_fd, bool tty, bool proxy_signals, UniqueFd master) {
  RawTerminal raw(tty ? 0 : -1);
  sigset_t signals, previous;
  sigemptyset(&signals);
  for (int s : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH}) sigaddset(&signals, s);
  ::sigprocmask(SIG_BLOCK, &signals, &previous);
  UniqueFd signal_fd(::signalfd(-1, &signals, SFD_CLOEXEC));
  if (tty) send_window_size(sync_fd, master.get());
  Result<int> outcome = unexpected(Error("the container's supervisor exited without reporting"));
  for (;;) {
    pollfd fds[2] = {{sync_fd, POLLIN, 0}, {signal_fd.get(), POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      outcome = sys_error("poll");
      break;
    }
    if (fds[1].revents & POLLIN) {
      signalfd_siginfo info{};
      if (::read(signal_fd.get(), &info, sizeof info) == sizeof info) {
        if (info.ssi_signo == SIGWINCH) {
          if (tty) send_window_size(sync_fd, master.get());
        } else if (proxy_signals) {
          send_text(sync_fd, fmt::format("signal {}", info.ssi_signo));
        }
      }
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      auto message = receive_message(sync_fd);
      if (!message || message->text.empty()) break;
      int code = 0;
      if (std::sscanf(message->text.c_str(), "exit %d", &code) == 1) {
        outcome = code;
        break;
      }
    }
  }
  ::sigprocmask(SIG_SETMASK, &previous, nullptr);
  return outcome;
}


bool is_running(const ContainerRecord& record) { return record.state.status == Status::running; }

}  // namespace

ContainerEngine::ContainerEngine(StateRoot state, std::string self_executable)
    : state_(std::move(state)), store_(state_), self_executable_(std::move(self_executable)) {}

Result<ContainerRecord> ContainerEngine::find(const std::string& name_or_id) {
  auto id = BERTH_TRY(store_.resolve(name_or_id));
  auto record = BERTH_TRY(store_.load(id));
  return reconcile(std::move(record));
}

Result<ContainerRecord> ContainerEngine::reconcile(ContainerRecord record) {
  auto supervisor = read_supervisor_record(state_, record.id);
  bool supervised = supervisor && process_is_alive(supervisor->supervisor);
  if (supervised) {
    if (!is_running(record)) {
      // The command that started it died before recording that; the supervisor's word is the truth.
      record.state.status = Status::running;
      record.state.pid = supervisor->init.pid;
      record.state.pid_start_time = supervisor->init.start_time;
    }
    return record;
  }
  if (!is_running(record) && !supervisor) return record;

  // Its supervisor is gone (killed, or the machine restarted and /run was cleared). Clean up under the lock, and
  // record how it ended as far as we can know it.
  auto lock = BERTH_TRY(store_.lock(record.id));
  auto fresh = store_.load(record.id);
  if (!fresh) return fresh.error();
  supervisor = read_supervisor_record(state_, record.id);
  if (supervisor && process_is_alive(supervisor->supervisor)) return *fresh;
  ProcessIdentity init = supervisor ? supervisor->init : ProcessIdentity{fresh->state.pid, fresh->state.pid_start_time};
  bool killed = false;
  if (process_is_alive(init)) {
    ::kill(init.pid, SIGKILL);  // the whole pid namespace goes with its init
    killed = true;
  }
  auto driver = make_runtime_driver(fresh->settings.runtime, state_.runtime_state());
  if (auto destroyed = driver->destroy(record.id); !destroyed)
    log::warn("cleaning up container {}: {}", text::short_id(record.id), destroyed.error().message());
  BERTH_TRY(unmount(store_.rootfs(record.id)));
  ::unlink(supervisor_record_path(state_, record.id).c_str());
  if (is_running(*fresh)) {
    fresh->state.status = Status::exited;
    fresh->state.exit_code = killed ? 137 : 255;
    fresh->state.pid = 0;
    fresh->state.pid_start_time = 0;
    fresh->state.finished_at = text::now_rfc3339_nano();
    fresh->state.error = "the container's supervisor died";
  }
  if (fresh->settings.auto_remove) {
    BERTH_TRY(store_.remove(*fresh));
    return unexpected(Error(fmt::format("No such container: {}", record.name), ENOENT));
  }
  BERTH_TRY(store_.save(*fresh));
  return *fresh;
}

Result<ContainerRecord> ContainerEngine::create(const CreateRequest& request) {
  auto images = BERTH_TRY(image::ImageStore::open(state_));
  auto image = BERTH_TRY(images.find(request.image));
  ContainerRecord record;
  record.name = request.name;
  record.created = text::now_rfc3339_nano();
  record.image_id = image.id;
  record.image_name = request.image;
  // Short links keep the overlay mount options within a page however deep the image is.
  record.layer_dirs = image.layer_links.size() == image.layer_dirs.size() ? image.layer_links : image.layer_dirs;
  record.image_config = image.config;
  record.settings = request.settings;
  if (record.settings.stop_signal.empty()) record.settings.stop_signal = image.config.stop_signal;

  // Fail now, not at start, for what can be known now (as Docker): no command, bad ulimits.
  spec::RunOptions options;
  options.entrypoint = record.settings.entrypoint;
  options.command = record.settings.command;
  // What the user runs, as Docker shows it (Path/Args, ps): berth-init is added to the spec at start, not here.
  options.init = false;
  record.resolved_args = BERTH_TRY(spec::resolve_process_args(image.config, options));
  for (const auto& ulimit : record.settings.ulimits) BERTH_TRY(spec::parse_ulimit(ulimit));
  if (!record.settings.runtime.empty() && ::access(record.settings.runtime.c_str(), X_OK) != 0)
    return sys_error(fmt::format("runtime {}", record.settings.runtime));
  return store_.create(std::move(record));
}

Result<StartOutcome> ContainerEngine::start(const std::string& name_or_id, const AttachOptions& attach) {
  auto record = BERTH_TRY(find(name_or_id));
  if (is_running(record)) return StartOutcome{record, std::nullopt};
  auto lock = BERTH_TRY(store_.lock(record.id));
  record = BERTH_TRY(store_.load(record.id));
  if (is_running(record)) return StartOutcome{record, std::nullopt};

  auto sync = BERTH_TRY(spawn_supervisor(self_executable_, state_, record.id, attach.attach,
                                         record.settings.open_stdin));
  auto first = BERTH_TRY(receive_message(sync.get()));
  if (first.text.empty()) first.text = "error 125 the container's supervisor died while starting it";
  int pid = 0, code = 0;
  unsigned long long start_time = 0;
  if (std::sscanf(first.text.c_str(), "started %d %llu", &pid, &start_time) != 2) {
    // The supervisor has already undone the mount and cgroup; the record keeps why, or goes with --rm.
    std::string message = first.text;
    if (std::sscanf(first.text.c_str(), "error %d", &code) == 1) message = first.text.substr(first.text.find(' ', 6) + 1);
    record.state.error = message;
    record.state.exit_code = code ? code : 125;
    if (record.settings.auto_remove) (void)store_.remove(record);
    else (void)store_.save(record);
    int errno_value = code == 127 ? ENOENT : code == 126 ? EACCES : 0;
    return unexpected(Error(message, errno_value));
  }
  record.state.status = Status::running;
  record.state.pid = pid;
  record.state.pid_start_time = start_time;
  record.state.started_at = text::now_rfc3339_nano();
  record.state.finished_at = kNeverTime;
  record.state.exit_code = 0;
  record.state.error.clear();
  record.state.oom_killed = false;
  BERTH_TRY(store_.save(record, fs::Durability::process_crash));
  lock.release();

  StartOutcome outcome{record, std::nullopt};
  if (!attach.attach) return outcome;
  outcome.exit_code = BERTH_TRY(follow_attached(sync.get(), record.settings.tty, attach.proxy_signals,
                                                std::move(first.fd)));
  return outcome;
}

Result<void> ContainerEngine::wait_for_supervisor_exit(const std::string& id, int timeout_ms) {
  auto supervisor = read_supervisor_record(state_, id);
  if (!supervisor) return {};
  auto pidfd = open_pidfd(supervisor->supervisor.pid);
  if (!pidfd || !process_is_alive(supervisor->supervisor)) return {};
  pollfd ready{pidfd->get(), POLLIN, 0};
  while (::poll(&ready, 1, timeout_ms) < 0 && errno == EINTR) {
  }
  return {};
}

Result<ContainerRecord> ContainerEngine::stop(const std::string& name_or_id, std::optional<int> timeout) {
  auto record = BERTH_TRY(find(name_or_id));
  if (!is_running(record)) return record;
  int seconds = timeout.value_or(record.settings.stop_timeout.value_or(10));
  ProcessIdentity init{record.state.pid, record.state.pid_start_time};
  auto pidfd = open_pidfd(init.pid);
  if (pidfd && process_is_alive(init)) {
    int stop_signal = parse_signal(record.settings.stop_signal.empty() ? "SIGTERM" : record.settings.stop_signal);
    if (stop_signal < 0) stop_signal = SIGTERM;
    (void)signal_pidfd(pidfd->get(), stop_signal);
    pollfd ready{pidfd->get(), POLLIN, 0};
    int waited = seconds < 0 ? -1 : seconds * 1000;
    int n;
    while ((n = ::poll(&ready, 1, waited)) < 0 && errno == EINTR) {
    }
    if (n == 0) (void)signal_pidfd(pidfd->get(), SIGKILL);  // the pid namespace dies with its init
  }
  BERTH_TRY(wait_for_supervisor_exit(record.id, 30000));
  auto after = store_.load(record.id);
  if (!after) return record;  // --rm: gone
  return reconcile(std::move(*after));
}

Result<ContainerRecord> ContainerEngine::kill(const std::string& name_or_id, int signal) {
  auto record = BERTH_TRY(find(name_or_id));
  if (!is_running(record))
    return unexpected(Error(fmt::format("cannot kill container: {}: container {} is not running", name_or_id,
                                        text::short_id(record.id)), ESRCH));
  ProcessIdentity init{record.state.pid, record.state.pid_start_time};
  auto pidfd = BERTH_TRY(open_pidfd(init.pid));
  if (!process_is_alive(init)) return record;
  BERTH_TRY(signal_pidfd(pidfd.get(), signal));
  if (signal == SIGKILL) BERTH_TRY(wait_for_supervisor_exit(record.id, 10000));
  return record;
}

Result<void> ContainerEngine::remove(const std::string& name_or_id, bool force) {
  auto found = find(name_or_id);
  if (!found) return found.error();
  ContainerRecord record = std::move(*found);
  if (is_running(record)) {
    if (!force)
      return unexpected(Error(fmt::format("cannot remove container \"/{}\": container is running: stop the "
                                          "container before removing or force remove",
                                          record.name), EBUSY));
    ProcessIdentity init{record.state.pid, record.state.pid_start_time};
    if (auto pidfd = open_pidfd(init.pid); pidfd && process_is_alive(init)) (void)signal_pidfd(pidfd->get(), SIGKILL);
    BERTH_TRY(wait_for_supervisor_exit(record.id, 30000));
    if (!fs::exists(store_.directory(record.id))) return {};  // it was --rm and removed itself
    auto again = reconcile(BERTH_TRY(store_.load(record.id)));
    if (!again) return {};
    record = std::move(*again);
  }
  auto lock = BERTH_TRY(store_.lock(record.id));
  record.state.status = Status::removing;
  auto driver = make_runtime_driver(record.settings.runtime, state_.runtime_state());
  BERTH_TRY(driver->destroy(record.id).context(fmt::format("removing container {}", record.name)));
  BERTH_TRY(unmount(store_.rootfs(record.id)));
  return store_.remove(record);
}

Result<int> ContainerEngine::wait(const std::string& name_or_id) {
  auto record = BERTH_TRY(find(name_or_id));
  if (is_running(record)) {
    BERTH_TRY(wait_for_supervisor_exit(record.id, -1));
    auto after = store_.load(record.id);
    if (!after) return 0;
    record = BERTH_TRY(reconcile(std::move(*after)));
  }
  return record.state.exit_code;
}

Result<std::vector<ContainerRecord>> ContainerEngine::list() {
  auto records = BERTH_TRY(store_.list());
  std::vector<ContainerRecord> truthful;
  truthful.reserve(records.size());
  for (auto& record : records) {
    auto reconciled = reconcile(std::move(record));
    if (reconciled) truthful.push_back(std::move(*reconciled));
  }
  return truthful;
}

Result<ContainerRecord> ContainerEngine::inspect(const std::string& name_or_id) { return find(name_or_id); }

int64_t seconds_between(const std::string& a, const std::string& b) {
  auto parse = [](const std::string& text) -> std::optional<time_t> {
    struct tm parts {};
    if (!::strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &parts)) return std::nullopt;
    return ::timegm(&parts);
  };
  auto first = parse(a), second = parse(b);
  if (!first || !second) return 0;
  return static_cast<int64_t>(*second - *first);
}

std::string describe_status(const ContainerRecord& record, const std::string& now) {
  switch (record.state.status) {
    case Status::running: return "Up " + text::human_duration(seconds_between(record.state.started_at, now));
    case Status::exited:
      return fmt::format("Exited ({}) {} ago", record.state.exit_code,
                         text::human_duration(seconds_between(record.state.finished_at, now)));
    case Status::removing: return "Removal In Progress";
    case Status::dead: return "Dead";
    case Status::created: return "Created";
  }
  return "Created";
}

}  // namespace berth::container
