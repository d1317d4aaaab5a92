#include "engine/container/supervisor.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fmt/core.h>
#include <optional>

#include "core/fs.h"
#include "core/log.h"
#include "core/memory.h"
#include "core/text.h"
#include "engine/cgroup/cgroup.h"
#include "engine/container/logs.h"
#include "engine/container/prepare.h"
#include "engine/container/rootfs.h"
#include "engine/container/runtime_driver.h"
#include "engine/container/store.h"

namespace berth::container {

std::string supervisor_record_path(const StateRoot& state, const std::string& id) {
  return fs::join(state.run_containers(), id) + "/supervisor";
}

Result<SupervisorRecord> read_supervisor_record(const StateRoot& state, const std::string& id) {
  auto content = BERTH_TRY(fs::read_file(supervisor_record_path(state, id)));
  SupervisorRecord record;
  unsigned long long sup_start = 0, init_start = 0;
  int sup_pid = 0, init_pid = 0;
  if (std::sscanf(content.c_str(), "%d %llu %d %llu", &sup_pid, &sup_start, &init_pid, &init_start) != 4)
    return unexpected(Error(fmt::format("malformed supervisor record for {}", text::short_id(id)), EINVAL));
  record.supervisor = {sup_pid, sup_start};
  record.init = {init_pid, init_start};
  return record;
}

namespace {

// Milliseconds since this process started, for --log-level debug timings of the phases.
std::string elapsed_ms() {
  static const auto start = std::chrono::steady_clock::now();
  auto now = std::chrono::steady_clock::now();
  return fmt::format("[{:.1f} ms]", std::chrono::duration<double, std::milli>(now - start).count());
}

void send_message(int fd, const std::string& message, int pass_fd = -1) {
  if (fd < 0) return;
  iovec io{const_cast<char*>(message.data()), message.size()};
  msghdr header{};
  header.msg_iov = &io;
  header.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
  if (pass_fd >= 0) {
    std::memset(control, 0, sizeof control);
    header.msg_control = control;
    header.msg_controllen = sizeof control;
    cmsghdr* cmsg = CMSG_FIRSTHDR(&header);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(cmsg), &pass_fd, sizeof(int));
  }
  while (::sendmsg(fd, &header, MSG_NOSIGNAL) < 0 && errno == EINTR) {
  }
}

bool write_fully(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {
        pollfd p{fd, POLLOUT, 0};
        ::poll(&p, 1, 1000);
        continue;
      }
      return false;
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

void redirect_to_dev_null(int target) {
  int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null_fd >= 0) {
    ::dup2(null_fd, target);
    ::close(null_fd);
  }
}

// One running container, from launch to the final record.
class Supervision {
 public:
  Supervision(const SupervisorOptions& options) : options_(options), store_(options.state) {}

  int run();

 private:
  Result<void> launch();
  void event_loop();
  void handle_output(int fd, const char* stream);
  void handle_signals();
  void handle_control();
  void forward_signal(int signal);
  void detach();
  void finish();
  void fail_start(const Error& error);

  SupervisorOptions options_;
  ContainerStore store_;
  ContainerRecord record_;
  std::unique_ptr<RuntimeDriver> driver_;
  std::optional<LogWriter> log_;
  Launched launched_;
  UniqueFd stdout_read_, stderr_read_, stdin_write_, signal_fd_, epoll_;
  bool attached_ = false;
  bool stdin_open_ = false;
  bool init_exited_ = false;
  int wait_status_ = 0;
  int open_outputs_ = 0;
  int sync_fd_ = kSupervisorSyncFd;
};

void Supervision::fail_start(const Error& error) {
  // Undo what launch did before answering, so that when the starting command reports the failure nothing of the
  // container is left mounted or in a cgroup. The starter holds the record's lock and records why (State.Error).
  if (driver_) (void)driver_->destroy(record_.id);
  (void)unmount(store_.rootfs(record_.id));
  ::unlink(supervisor_record_path(options_.state, record_.id).c_str());
  int code = error.errno_value() == ENOENT ? 127 : error.errno_value() == EACCES ? 126 : 125;
  send_message(sync_fd_, fmt::format("error {} {}", code, error.message()));
}

Result<void> Supervision::launch() {
  log::debug("{} supervisor up", elapsed_ms());
  record_ = BERTH_TRY(store_.load(options_.id));
  driver_ = make_runtime_driver(record_.settings.runtime, options_.state.runtime_state());
  auto bundle = BERTH_TRY(prepare_bundle(store_, record_));
  log::debug("{} bundle ready", elapsed_ms());

  std::vector<std::pair<std::string, std::string>> log_options(record_.settings.log_options.begin(),
                                                               record_.settings.log_options.end());
  auto rotation = BERTH_TRY(parse_log_options(log_options));
  log_.emplace(BERTH_TRY(LogWriter::open(store_.log_path(record_.id), rotation)));

  LaunchRequest request{bundle, record_.id, -1, -1, -1, record_.settings.tty};
  UniqueFd stdin_read, stdout_write, stderr_write;
  if (!record_.settings.tty) {
    int out[2], err[2];
    if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) return sys_error("pipe");
    stdout_read_.reset(out[0]);
    stdout_write.reset(out[1]);
    stderr_read_.reset(err[0]);
    stderr_write.reset(err[1]);
    if (record_.settings.open_stdin) {
      int in[2];
      if (::pipe2(in, O_CLOEXEC) != 0) return sys_error("pipe");
      stdin_read.reset(in[0]);
      stdin_write_.reset(in[1]);
    } else {
      stdin_read.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    }
    request.stdin_fd = stdin_read.get();
    request.stdout_fd = stdout_write.get();
    request.stderr_fd = stderr_write.get();
  }
  launched_ = BERTH_TRY(driver_->launch(request));
  // Our copies of the container's ends must go, or we would never see end-of-file on its output.
  stdin_read.reset();
  stdout_write.reset();
  stderr_write.reset();

  std::string supervisor_file = supervisor_record_path(options_.state, record_.id);
  auto self = BERTH_TRY(identify_process(::getpid()));
  BERTH_TRY(fs::write_file_atomic(supervisor_file,
                                  fmt::format("{} {} {} {}\n", self.pid, self.start_time, launched_.init.pid,
                                              launched_.init.start_time),
                                  0600, fs::Durability::process_crash));
  return {};
}

int Supervision::run() {
  // Our own session: a terminal hang-up or Ctrl-C in the starting command's terminal is not ours to die of.
  ::setsid();
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  ::signal(SIGPIPE, SIG_IGN);
  attached_ = options_.attached;
  // Keep the host's OOM killer off the supervisor: it must outlive the container to record its end. The runtime
  // sets the container's own score from the spec.
  (void)fs::write_file("/proc/self/oom_score_adj", "-999");

  sigset_t signals;
  sigemptyset(&signals);
  for (int s : {SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2}) sigaddset(&signals, s);
  sigprocmask(SIG_BLOCK, &signals, nullptr);
  signal_fd_.reset(::signalfd(-1, &signals, SFD_CLOEXEC | SFD_NONBLOCK));

  if (auto launched = launch(); !launched) {
    fail_start(launched.error());
    return 1;
  }
  stdin_open_ = attached_ && record_.settings.open_stdin;
  int pass_fd = (attached_ && record_.settings.tty) ? launched_.console_master.get() : -1;
  send_message(sync_fd_, fmt::format("started {} {}", launched_.init.pid, launched_.init.start_time), pass_fd);
  log::debug("{} started {}", elapsed_ms(), text::short_id(record_.id));
  event_loop();
  finish();
  return 0;
}

void Supervision::forward_signal(int signal) {
  if (launched_.init.pid > 0 && !init_exited_) ::kill(launched_.init.pid, signal);
}

void Supervision::detach() {
  if (!attached_) return;
  attached_ = false;
  if (stdin_open_ && epoll_) ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, 0, nullptr);
  stdin_open_ = false;
  redirect_to_dev_null(0);
  redirect_to_dev_null(1);
  redirect_to_dev_null(2);
}

void Supervision::handle_output(int fd, const char* stream) {
  char buffer[65536];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n > 0) {
      log_->write(stream, std::string_view(buffer, static_cast<size_t>(n)));
      if (attached_) {
        int target = std::strcmp(stream, "stderr") == 0 ? 2 : 1;
        if (!write_fully(target, buffer, static_cast<size_t>(n))) detach();
      }
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    // End of file (or EIO on a pty whose last slave closed): this stream is done.
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
    --open_outputs_;
    return;
  }
}

void Supervision::handle_signals() {
  signalfd_siginfo info{};
  while (::read(signal_fd_.get(), &info, sizeof info) == sizeof info) {
    if (info.ssi_signo != SIGCHLD) {
      forward_signal(static_cast<int>(info.ssi_signo));
      continue;
    }
    // We are a subreaper: reap everything, note our init's status.
    for (;;) {
      int status = 0;
      pid_t pid = ::waitpid(-1, &status, WNOHANG);
      if (pid <= 0) break;
      if (pid == launched_.init.pid) {
        init_exited_ = true;
        wait_status_ = status;
      }
    }
  }
}

void Supervision::handle_control() {
  char buffer[256];
  for (;;) {
    ssize_t n = ::recv(sync_fd_, buffer, sizeof buffer - 1, MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    if (n <= 0) {
      // The starting command is gone: stop copying to its terminal.
      ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, sync_fd_, nullptr);
      ::close(sync_fd_);
      sync_fd_ = -1;
      detach();
      return;
    }
    buffer[n] = '\0';
    int a = 0, b = 0;
    if (std::sscanf(buffer, "signal %d", &a) == 1) {
      forward_signal(a);
    } else if (std::sscanf(buffer, "resize %d %d", &a, &b) == 2 && launched_.console_master) {
      winsize size{};
      size.ws_row = static_cast<unsigned short>(a);
      size.ws_col = static_cast<unsigned short>(b);
      ::ioctl(launched_.console_master.get(), TIOCSWINSZ, &size);
    } else if (std::strncmp(buffer, "detach", 6) == 0) {
      detach();
    }
  }
}

void Supervision::event_loop() {
  epoll_.reset(::epoll_create1(EPOLL_CLOEXEC));
  auto watch = [&](int fd) {
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.fd = fd;
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &event);
  };
  int master = launched_.console_master.get();
  if (record_.settings.tty) {
    ::fcntl(master, F_SETFL, ::fcntl(master, F_GETFL) | O_NONBLOCK);
    watch(master);
    open_outputs_ = 1;
  } else {
    for (int fd : {stdout_read_.get(), stderr_read_.get()}) {
      ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
      watch(fd);
    }
    open_outputs_ = 2;
  }
  watch(signal_fd_.get());
  if (sync_fd_ >= 0) watch(sync_fd_);
  if (stdin_open_) watch(0);

  // After the init exits its output may still be in flight; everything else in its pid namespace was killed by the
  // kernel, so the pipes close promptly. A bounded grace covers output held open by processes outside it.
  int grace_ms = -1;
  bool shed = false;
  while (!(init_exited_ && open_outputs_ <= 0)) {
    epoll_event events[8];
    // A container still running after a quiet moment is a long-lived one: only then is it worth giving back the
    // start-up working set (walking our mappings costs milliseconds a `run --rm` should not pay).
    int timeout = init_exited_ ? grace_ms : shed ? -1 : 200;
    int count = ::epoll_wait(epoll_.get(), events, 8, timeout);
    if (count < 0 && errno == EINTR) continue;
    if (count == 0 && init_exited_) break;
    if (count == 0 && !shed) {
      shed_startup_memory();
      shed = true;
      continue;
    }
    for (int i = 0; i < count; ++i) {
      int fd = events[i].data.fd;
      if (fd == signal_fd_.get()) {
        handle_signals();
      } else if (fd == sync_fd_) {
        handle_control();
      } else if (fd == 0) {
        char buffer[65536];
        ssize_t n = ::read(0, buffer, sizeof buffer);
        if (n > 0) {
          int target = record_.settings.tty ? master : stdin_write_.get();
          if (!write_fully(target, buffer, static_cast<size_t>(n))) stdin_write_.reset();
        } else if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
          ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, 0, nullptr);
          stdin_open_ = false;
          stdin_write_.reset();  // the container sees end-of-file, as with docker run -i
        }
      } else if (record_.settings.tty && fd == master) {
        handle_output(fd, "stdout");
      } else if (fd == stdout_read_.get()) {
        handle_output(fd, "stdout");
      } else if (fd == stderr_read_.get()) {
        handle_output(fd, "stderr");
      }
    }
    if (init_exited_ && grace_ms < 0) grace_ms = 2000;
  }
  log_->flush();
}

void Supervision::finish() {
  const std::string id = record_.id;
  log::debug("{} exited {}", elapsed_ms(), text::short_id(id));
  int exit_code = exit_code_from_wait_status(wait_status_);
  bool oom_killed = false;
  if (auto layout = cgroup::detect(); layout) {
    auto group = cgroup::Cgroup::open(*layout, "berth/" + id);
    oom_killed = group.oom_killed().value_or(false);
  }
  if (auto destroyed = driver_->destroy(id); !destroyed) log::warn("cleaning up container {}: {}", text::short_id(id), destroyed.error().message());
  log::debug("{} runtime state and cgroup removed", elapsed_ms());
  if (auto unmounted = unmount(store_.rootfs(id)); !unmounted) log::warn("{}", unmounted.error().message());
  log::debug("{} root unmounted", elapsed_ms());

  if (auto lock = store_.lock(id); lock) {
    if (auto fresh = store_.load(id); fresh) {
      fresh->state.status = Status::exited;
      fresh->state.exit_code = exit_code;
      fresh->state.oom_killed = oom_killed;
      fresh->state.pid = 0;
      fresh->state.pid_start_time = 0;
      fresh->state.finished_at = text::now_rfc3339_nano();
      if (fresh->settings.auto_remove) {
        (void)store_.remove(*fresh);
      } else {
        (void)store_.save(*fresh, fs::Durability::process_crash);
      }
    }
  }
  log::debug("{} recorded", elapsed_ms());
  ::unlink(supervisor_record_path(options_.state, id).c_str());
  if (!record_.settings.auto_remove) (void)fs::remove_tree(store_.run_directory(id));
  send_message(sync_fd_, fmt::format("exit {}", exit_code));
}

}  // namespace

int run_supervisor(const SupervisorOptions& options) {
  Supervision supervision(options);
  return supervision.run();
}

}  // namespace berth::container
