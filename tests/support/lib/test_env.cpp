#include "tests/support/lib/test_env.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "core/fs.h"
#include "core/text.h"

extern char** environ;

namespace berth::testing {
namespace {

std::vector<std::string> mount_points() {
  std::vector<std::string> points;
  std::ifstream mountinfo("/proc/self/mountinfo");
  std::string line;
  while (std::getline(mountinfo, line)) {
    std::istringstream fields(line);
    std::string id, parent, device, root, point;
    fields >> id >> parent >> device >> root >> point;
    points.push_back(point);
  }
  return points;
}

void collect_cgroups(const std::string& directory, int depth, std::set<std::string>& out) {
  if (depth > 4) return;
  DIR* dir = opendir(directory.c_str());
  if (!dir) return;
  while (auto* entry = readdir(dir)) {
    if (entry->d_type != DT_DIR || entry->d_name[0] == '.') continue;
    std::string child = directory + "/" + entry->d_name;
    // berth's containers are berth/<id> in each hierarchy: anything below a "berth" directory counts, and so does
    // any directory named after berth, except the shared "berth" parent itself, which berth keeps on purpose.
    bool below_berth = child.find("/berth/") != std::string::npos;
    bool named_berth = std::strstr(entry->d_name, "berth") != nullptr && std::strcmp(entry->d_name, "berth") != 0;
    if (below_berth || named_berth) out.insert(child);
    collect_cgroups(child, depth + 1, out);
  }
  closedir(dir);
}

std::set<std::string> cgroup_dirs() {
  std::set<std::string> dirs;
  collect_cgroups("/sys/fs/cgroup", 0, dirs);
  return dirs;
}

std::set<std::string> link_names() {
  std::set<std::string> names;
  auto entries = fs::list_directory("/sys/class/net");
  if (entries)
    for (auto& name : *entries) names.insert(name);
  return names;
}

std::set<std::string> netns_names() {
  std::set<std::string> names;
  auto entries = fs::list_directory("/run/netns");
  if (entries)
    for (auto& name : *entries) names.insert(name);
  return names;
}

bool process_mentions(const std::string& pid, const std::string& needle) {
  for (const char* file : {"cmdline", "environ"}) {
    auto content = fs::read_file("/proc/" + pid + "/" + file);
    if (content && content->find(needle) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

std::string source_dir() { return BERTH_SOURCE_DIR; }
std::string berth_binary() { return BERTH_BINARY; }

std::string unique_name(const std::string& prefix) {
  static std::atomic<int> counter{0};
  return prefix + std::to_string(getpid()) + "-" + std::to_string(counter++) + "-" + text::random_hex_id().substr(0, 6);
}

TempStateRoot::TempStateRoot() {
  auto created = fs::make_temp_directory("/tmp", "berth-test-");
  if (!created) throw std::runtime_error(created.error().message());
  path_ = *created;
}

TempStateRoot::~TempStateRoot() {
  // Unmount anything still below the root (deepest first) so removal never deletes through a mount.
  auto points = mount_points();
  for (auto it = points.rbegin(); it != points.rend(); ++it)
    if (text::starts_with(*it, path_ + "/")) umount2(it->c_str(), MNT_DETACH);
  (void)fs::remove_tree(path_);
}

CommandResult run_command(const std::vector<std::string>& argv, const std::string& state_root,
                          const std::string& input, std::chrono::milliseconds timeout,
                          const std::map<std::string, std::string>& extra_env) {
  CommandResult result;
  int in_pipe[2], out_pipe[2], err_pipe[2];
  if (pipe2(in_pipe, O_CLOEXEC) != 0 || pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0)
    return result;
  std::vector<std::string> environment;
  for (char** entry = environ; *entry; ++entry) {
    std::string variable = *entry;
    if (text::starts_with(variable, "BERTH_ROOT=")) continue;
    environment.push_back(variable);
  }
  if (!state_root.empty()) environment.push_back("BERTH_ROOT=" + state_root);
  for (auto& [key, value] : extra_env) environment.push_back(key + "=" + value);
  std::vector<char*> c_argv, c_env;
  for (auto& a : argv) c_argv.push_back(const_cast<char*>(a.c_str()));
  c_argv.push_back(nullptr);
  for (auto& e : environment) c_env.push_back(const_cast<char*>(e.c_str()));
  c_env.push_back(nullptr);

  pid_t child = fork();
  if (child == 0) {
    dup2(in_pipe[0], 0);
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    setpgid(0, 0);
    execve(c_argv[0], c_argv.data(), c_env.data());
    _exit(127);
  }
  close(in_pipe[0]);
  close(out_pipe[1]);
  close(err_pipe[1]);
  std::thread writer([fd = in_pipe[1], input] {
    signal(SIGPIPE, SIG_IGN);
    size_t done = 0;
    while (done < input.size()) {
      ssize_t n = write(fd, input.data() + done, input.size() - done);
      if (n <= 0) break;
      done += static_cast<size_t>(n);
    }
    close(fd);
  });
  auto deadline = std::chrono::steady_clock::now() + timeout;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  int open_count = 2;
  while (open_count > 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      result.timed_out = true;
      kill(-child, SIGKILL);
      kill(child, SIGKILL);
      break;
    }
    if (poll(fds, 2, static_cast<int>(left.count())) < 0 && errno != EINTR) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buffer[8192];
      ssize_t n = read(fds[i].fd, buffer, sizeof buffer);
      if (n <= 0) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_count;
      } else {
        (i == 0 ? result.out : result.err).append(buffer, static_cast<size_t>(n));
      }
    }
  }
  for (auto& p : fds)
    if (p.fd >= 0) close(p.fd);
  int status = 0;
  waitpid(child, &status, 0);
  writer.join();
  if (result.timed_out)
    result.exit_code = -1;
  else if (WIFEXITED(status))
    result.exit_code = WEXITSTATUS(status);
  else if (WIFSIGNALED(status))
    result.exit_code = 128 + WTERMSIG(status);
  return result;
}

CommandResult berth(const std::string& state_root, const std::vector<std::string>& args, const std::string& input,
                    std::chrono::milliseconds timeout) {
  std::vector<std::string> argv{berth_binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv, state_root, input, timeout);
}

std::string busybox_rootfs_tarball() {
  static std::once_flag once;
  static std::string path;
  std::call_once(once, [] {
    auto directory = fs::make_temp_directory("/tmp", "berth-busybox-");
    if (!directory) throw std::runtime_error(directory.error().message());
    path = *directory + "/busybox-rootfs.tar";
    auto made = run_command({"/bin/sh", source_dir() + "/samples/images/make-busybox-rootfs.sh", path});
    if (made.exit_code != 0) throw std::runtime_error("making the busybox rootfs failed: " + made.err);
  });
  return path;
}

LeakCheck::LeakCheck(std::string state_root) : state_root_(std::move(state_root)) {
  for (auto& point : mount_points()) mounts_before_.insert(point);
  cgroups_before_ = cgroup_dirs();
  links_before_ = link_names();
  netns_before_ = netns_names();
}

std::vector<std::string> LeakCheck::leaks() const {
  std::vector<std::string> found;
  for (auto& point : mount_points())
    if (!mounts_before_.count(point) && (point.find("berth") != std::string::npos ||
                                          text::starts_with(point, state_root_)))
      found.push_back("mount " + point);
  for (auto& dir : cgroup_dirs())
    if (!cgroups_before_.count(dir)) found.push_back("cgroup " + dir);
  for (auto& link : link_names())
    if (!links_before_.count(link)) found.push_back("link " + link);
  for (auto& ns : netns_names())
    if (!netns_before_.count(ns)) found.push_back("netns " + ns);
  auto pids = fs::list_directory("/proc");
  if (pids) {
    std::string self = std::to_string(getpid());
    for (auto& pid : *pids) {
      if (pid.empty() || !std::isdigit(static_cast<unsigned char>(pid[0])) || pid == self) continue;
      if (process_mentions(pid, state_root_)) {
        auto stat = fs::read_file("/proc/" + pid + "/stat");
        if (stat && stat->find(") Z") != std::string::npos) continue;  // a zombie of ours is reaped by the test
        auto cmdline = fs::read_file("/proc/" + pid + "/cmdline").value_or("");
        for (auto& c : cmdline)
          if (c == '\0') c = ' ';
        found.push_back("process " + pid + " " + cmdline);
      }
    }
  }
  return found;
}

bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return condition();
}

}  // namespace berth::testing
