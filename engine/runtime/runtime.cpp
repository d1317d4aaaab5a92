#include "engine/runtime/runtime.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <fmt/core.h>

#include "core/fs.h"
#include "core/log.h"
#include "core/text.h"
#include "engine/cgroup/cgroup.h"
#include "engine/runtime/launch.h"
#include "engine/runtime/oci_spec.h"
#include "engine/runtime/state_store.h"
#include "engine/runtime/sync_channel.h"

namespace berth::runtime {
namespace {

// flock on the container's directory itself: no lock file to leave behind, and delete can remove the directory
// while holding it.
Result<UniqueFd> lock_container(const std::string& container_dir, const std::string& id) {
  UniqueFd fd(::open(container_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) return unexpected(Error(fmt::format("container \"{}\" does not exist", id), ENOENT));
    return sys_error(fmt::format("open {}", container_dir));
  }
  while (::flock(fd.get(), LOCK_EX) != 0)
    if (errno != EINTR) return sys_error(fmt::format("lock {}", container_dir));
  return fd;
}

Result<std::string> absolute_path(const std::string& path) {
  char resolved[PATH_MAX];
  if (!::realpath(path.empty() ? "." : path.c_str(), resolved)) return sys_error(fmt::format("resolve {}", path));
  return std::string(resolved);
}

// The container directory, removed again unless creation succeeds.
struct ContainerDirectoryUndo {
  std::string path;
  ~ContainerDirectoryUndo() {
    if (!path.empty()) (void)fs::remove_tree(path);
  }
};

// A pidfd for the recorded init, verified to be the same process (not a reused pid).
Result<UniqueFd> open_init(const StateRecord& record) {
  if (record.init.pid <= 0) return unexpected(Error(fmt::format("container \"{}\" has no init", record.id), ESRCH));
  auto pidfd = BERTH_TRY(open_pidfd(record.init.pid));
  if (!process_is_alive(record.init))
    return unexpected(Error(fmt::format("container \"{}\" is not running", record.id), ESRCH));
  return pidfd;
}

// Waits until the process behind `pidfd` has exited (it may be somebody else's child: we only watch).
bool wait_for_exit(int pidfd, int timeout_ms) {
  pollfd entry{pidfd, POLLIN, 0};
  for (;;) {
    int ready = ::poll(&entry, 1, timeout_ms);
    if (ready > 0) return true;
    if (ready == 0) return false;
    if (errno != EINTR) return false;
  }
}

// "errno complete text", as the init writes a failure into exec.fifo.
Error error_from_fifo(const std::string& line) {
  int error_number = 0;
  int complete = 0;
  int consumed = 0;
  if (std::sscanf(line.c_str(), "%d %d %n", &error_number, &complete, &consumed) < 2)
    return Error(fmt::format("container start failed: {}", line), EIO);
  std::string text = line.substr(static_cast<size_t>(consumed));
  return complete ? Error(text, error_number) : Error::from_errno(text, error_number);
}

std::optional<cgroup::Cgroup> container_cgroup(const StateRecord& record) {
  if (record.cgroup_path.empty()) return std::nullopt;
  auto layout = cgroup::detect();
  if (!layout) return std::nullopt;
  return cgroup::Cgroup::open(*layout, record.cgroup_path);
}

}  // namespace

Result<void> validate_container_id(const std::string& id) {
  if (id.empty()) return unexpected(Error("container id must not be empty", EINVAL));
  if (id.size() > 1024) return unexpected(Error("container id is too long", EINVAL));
  auto valid = [](char c, bool first) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    return !first && (c == '_' || c == '.' || c == '-' || c == '+');
  };
  for (size_t i = 0; i < id.size(); ++i)
    if (!valid(id[i], i == 0))
      return unexpected(Error(fmt::format("invalid container id \"{}\": use [A-Za-z0-9][A-Za-z0-9_.+-]*", id), EINVAL));
  return {};
}

Runtime::Runtime(std::string state_dir) : state_dir_(std::move(state_dir)) {}

std::string Runtime::container_dir(const std::string& id) const { return state_dir_ + "/" + id; }

Result<Created> Runtime::create(const CreateOptions& options) { return create_container(options, false); }

Result<Created> Runtime::run(const CreateOptions& options) { return create_container(options, true); }

Result<Created> Runtime::create_container(const CreateOptions& options, bool start_immediately) {
  BERTH_TRY(validate_container_id(options.id));
  auto failure_context = fmt::format("create container {}", options.id);
  auto bundle = BERTH_TRY_CONTEXT(absolute_path(options.bundle), failure_context);
  auto config = BERTH_TRY_CONTEXT(fs::read_file(bundle + "/config.json"), failure_context);
  auto spec = BERTH_TRY_CONTEXT(parse_spec(config, bundle), failure_context);
  for (auto& ignored : spec.process.ignored) log::debug("process.{} is ignored (not supported on this host)", ignored);
  if (spec.process.terminal && options.console_socket.empty() && !options.return_console)
    return unexpected(Error(fmt::format("{}: process.terminal needs a console socket", failure_context), EINVAL));

  BERTH_TRY(fs::make_directories(state_dir_, 0711));
  std::string directory = container_dir(options.id);
  if (::mkdir(directory.c_str(), 0711) != 0) {
    if (errno == EEXIST)
      return unexpected(Error(fmt::format("container \"{}\" already exists", options.id), EEXIST));
    return sys_error(fmt::format("mkdir {}", directory));
  }
  ContainerDirectoryUndo directory_undo{directory};
  auto lock = BERTH_TRY(lock_container(directory, options.id));

  LaunchRequest request;
  request.spec = &spec;
  request.id = options.id;
  request.container_dir = directory;
  request.stdio[0] = options.stdin_fd;
  request.stdio[1] = options.stdout_fd;
  request.stdio[2] = options.stderr_fd;
  request.start_immediately = start_immediately;
  request.seccomp_cache_dir = seccomp_cache_dir();
  auto launched = BERTH_TRY_CONTEXT(launch_container(request), failure_context);

  // From here on the container exists; failures must not leave its init or cgroup behind.
  auto undo_launch = [&](Error error) -> Result<Created> {
    (void)signal_pidfd(launched.pidfd.get(), SIGKILL);
    (void)wait_for_child(launched.pid);
    if (launched.cgroup) (void)launched.cgroup->remove();
    return std::move(error).wrap(failure_context);
  };

  StateRecord record;
  record.id = options.id;
  record.status = start_immediately ? Status::running : Status::created;
  record.bundle = bundle;
  record.rootfs = spec.root_path;
  record.cgroup_path = launched.cgroup ? launched.cgroup->relative_path() : "";
  record.created = text::now_rfc3339_nano();
  record.annotations.assign(spec.annotations.begin(), spec.annotations.end());
  auto identity = identify_process(launched.pid);
  // A container run straight away may already have exited; its (zombie) start time is still readable, and if not,
  // the pid alone is recorded and `state` reports it stopped.
  record.init = identity ? *identity : ProcessIdentity{launched.pid, 0};
  if (auto written = write_state_record(directory, record); !written) return undo_launch(written.error());

  if (!options.pid_file.empty())
    if (auto written = fs::write_file_atomic(options.pid_file, std::to_string(launched.pid), 0644); !written)
      return undo_launch(written.error());

  Created created;
  if (launched.console_master) {
    if (!options.console_socket.empty()) {
      if (auto sent = send_fd_to_socket_path(options.console_socket, launched.console_master.get()); !sent)
        return undo_launch(sent.error());
    } else {
      created.console_master = std::move(launched.console_master);
    }
  }
  created.init = record.init;
  created.pidfd = std::move(launched.pidfd);
  directory_undo.path.clear();
  return created;
}

Result<void> Runtime::start(const std::string& id) {
  BERTH_TRY(validate_container_id(id));
  std::string directory = container_dir(id);
  auto lock = BERTH_TRY(lock_container(directory, id));
  auto record = BERTH_TRY(read_state_record(directory));
  Status status = effective_status(record);
  if (status != Status::created)
    return unexpected(Error(fmt::format("cannot start container \"{}\": it is {}, not created", id,
                                        status_name(status)), EINVAL));
  auto pidfd = BERTH_TRY(open_init(record));

  // Our (non-blocking) open unblocks the init's open for writing. A successful execve closes its end (O_CLOEXEC),
  // which we see as POLLHUP; a failure is written to us first.
  std::string fifo_path = directory + "/exec.fifo";
  UniqueFd fifo(::open(fifo_path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (!fifo) return sys_error(fmt::format("open {}", fifo_path));
  std::string reported;
  bool writer_done = false;
  while (!writer_done) {
    pollfd entries[2] = {{fifo.get(), POLLIN, 0}, {pidfd.get(), POLLIN, 0}};
    if (::poll(entries, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return sys_error("wait for the container to start");
    }
    if (entries[0].revents & (POLLIN | POLLHUP)) {
      char buffer[512];
      ssize_t n = ::read(fifo.get(), buffer, sizeof buffer);
      if (n > 0) {
        reported.append(buffer, static_cast<size_t>(n));
        continue;
      }
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) writer_done = true;
      continue;
    }
    if (entries[1].revents) {
      // The init exited without ever opening the fifo.
      return unexpected(Error(fmt::format("cannot start container \"{}\": its init exited", id), ESRCH));
    }
  }
  ::unlink(fifo_path.c_str());
  if (!reported.empty()) {
    record.status = Status::stopped;
    (void)write_state_record(directory, record);
    return unexpected(error_from_fifo(reported).wrap(fmt::format("start container {}", id)));
  }
  record.status = Status::running;
  return write_state_record(directory, record);
}

namespace {

// The record of a container, or, while `create` has not written it yet, a record that says "creating".
Result<StateRecord> read_record_or_creating(const std::string& directory, const std::string& id) {
  if (!fs::is_directory(directory))
    return unexpected(Error(fmt::format("container \"{}\" does not exist", id), ENOENT));
  auto record = read_state_record(directory);
  if (!record && record.error().errno_value() == ENOENT) {
    StateRecord creating;
    creating.id = id;
    creating.status = Status::creating;
    return creating;
  }
  return std::move(record).context(fmt::format("read state of container {}", id));
}

}  // namespace

Result<ContainerState> Runtime::state(const std::string& id) const {
  BERTH_TRY(validate_container_id(id));
  auto record = BERTH_TRY(read_record_or_creating(container_dir(id), id));
  ContainerState state;
  state.oci_version = kOciVersion;
  state.id = record.id;
  state.status = effective_status(record);
  state.init = record.init;
  state.bundle = record.bundle;
  state.annotations = record.annotations;
  return state;
}

Result<std::string> Runtime::state_json(const std::string& id) const {
  BERTH_TRY(validate_container_id(id));
  auto record = BERTH_TRY(read_record_or_creating(container_dir(id), id));
  return oci_state_json(record, effective_status(record));
}

Result<std::vector<std::string>> Runtime::list() const {
  auto names = BERTH_TRY(fs::list_directory(state_dir_));
  std::vector<std::string> ids;
  for (auto& name : names)
    if (validate_container_id(name)) ids.push_back(name);  // not ".seccomp-cache" and other bookkeeping
  return ids;
}

std::string Runtime::seccomp_cache_dir() const { return state_dir_ + "/.seccomp-cache"; }

Result<void> Runtime::kill(const std::string& id, int signal, bool all) {
  BERTH_TRY(validate_container_id(id));
  auto record = BERTH_TRY(read_state_record(container_dir(id)));
  if (all) {
    auto cgroup = container_cgroup(record);
    if (!cgroup) return unexpected(Error(fmt::format("container \"{}\" has no cgroup", id), ESRCH));
    return cgroup->signal_all(signal).context(fmt::format("signal container {}", id));
  }
  auto pidfd = BERTH_TRY(open_init(record));
  return signal_pidfd(pidfd.get(), signal).context(fmt::format("signal container {}", id));
}

Result<void> Runtime::remove(const std::string& id, bool force) {
  BERTH_TRY(validate_container_id(id));
  std::string directory = container_dir(id);
  auto lock = BERTH_TRY(lock_container(directory, id));
  auto record = read_state_record(directory);
  if (!record) {
    // A creation that crashed before writing its record: nothing but the directory to clean.
    log::debug("container {}: unreadable state ({}); removing its directory", id, record.error().message());
    return fs::remove_tree(directory);
  }
  Status status = effective_status(*record);
  if (status == Status::running && !force)
    return unexpected(Error(fmt::format("cannot delete container \"{}\": it is running (use --force)", id), EBUSY));
  if (status == Status::running || status == Status::created || status == Status::creating) {
    if (auto pidfd = open_init(*record)) {
      (void)signal_pidfd(pidfd->get(), SIGKILL);
      if (!wait_for_exit(pidfd->get(), 10000))
        return unexpected(Error(fmt::format("container \"{}\": init did not die after SIGKILL", id), ETIMEDOUT));
    }
  }
  if (auto cgroup = container_cgroup(*record))
    BERTH_TRY_CONTEXT(cgroup->remove(), fmt::format("remove the cgroup of container {}", id));
  return fs::remove_tree(directory);
}

Result<ExecProcess> Runtime::exec(const std::string& id, const ExecOptions& options) {
  BERTH_TRY(validate_container_id(id));
  auto failure_context = fmt::format("exec in container {}", id);
  std::string directory = container_dir(id);
  auto record = BERTH_TRY_CONTEXT(read_state_record(directory), failure_context);
  Status status = effective_status(record);
  if (status != Status::running && status != Status::created)
    return unexpected(Error(fmt::format("{}: container is {}", failure_context, status_name(status)), EINVAL));
  auto pidfd = BERTH_TRY_CONTEXT(open_init(record), failure_context);
  auto config = BERTH_TRY_CONTEXT(fs::read_file(record.bundle + "/config.json"), failure_context);
  auto spec = BERTH_TRY_CONTEXT(parse_spec(config, record.bundle), failure_context);
  auto process = BERTH_TRY_CONTEXT(parse_process(options.process_json, spec.process), failure_context);
  if (options.tty) process.terminal = true;

  ExecRequest request;
  request.spec = &spec;
  request.process = &process;
  request.container_pidfd = pidfd.get();
  request.container_pid = record.init.pid;
  request.cgroup = container_cgroup(record);
  request.stdio[0] = options.stdin_fd;
  request.stdio[1] = options.stdout_fd;
  request.stdio[2] = options.stderr_fd;
  request.seccomp_cache_dir = seccomp_cache_dir();
  auto executed = BERTH_TRY_CONTEXT(launch_exec(request), failure_context);

  ExecProcess result;
  auto identity = identify_process(executed.pid);
  result.process = identity ? *identity : ProcessIdentity{executed.pid, 0};
  result.pidfd = std::move(executed.pidfd);
  if (executed.console_master && !options.console_socket.empty()) {
    if (auto sent = send_fd_to_socket_path(options.console_socket, executed.console_master.get()); !sent) {
      (void)signal_pidfd(result.pidfd.get(), SIGKILL);
      (void)wait_for_child(executed.pid);
      return std::move(sent).error().wrap(failure_context);
    }
  } else {
    result.console_master = std::move(executed.console_master);
  }
  return result;
}

}  // namespace berth::runtime
