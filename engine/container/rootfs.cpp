#include "engine/container/rootfs.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <sys/stat.h>

#include <fmt/core.h>

#include "core/fs.h"
#include "core/text.h"

namespace berth::container {

std::string overlay_options(const OverlayPaths& paths, const std::string& base) {
  std::string lower;
  // overlayfs takes lower dirs top-most first.
  for (auto it = paths.lower_dirs.rbegin(); it != paths.lower_dirs.rend(); ++it) {
    if (!lower.empty()) lower += ':';
    if (!base.empty() && text::starts_with(*it, base + "/"))
      lower += it->substr(base.size() + 1);
    else
      lower += *it;
  }
  return fmt::format("lowerdir={},upperdir={},workdir={}", lower, paths.upper, paths.work);
}

std::string read_file_in_root(int root_fd, const char* path) {
  auto fd = fs::open_in_root(root_fd, path, O_RDONLY);
  if (!fd) return {};
  std::string content;
  char buffer[8192];
  ssize_t n;
  while ((n = ::read(fd->get(), buffer, sizeof buffer)) > 0 && content.size() < (16u << 20))
    content.append(buffer, static_cast<size_t>(n));
  return content;
}

std::string read_merged_file(const OverlayPaths& paths, const std::string& layers_base, const std::string& path) {
  std::vector<std::string> layers{paths.upper};
  for (auto it = paths.lower_dirs.rbegin(); it != paths.lower_dirs.rend(); ++it)
    layers.push_back(!it->empty() && (*it)[0] == '/' ? *it : fs::join(layers_base, *it));
  auto slash = path.find_last_of('/');
  std::string parent = slash == std::string::npos ? "" : path.substr(0, slash);
  for (const auto& layer : layers) {
    UniqueFd root(::open(layer.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root) continue;
    if (auto found = fs::open_in_root(root.get(), path, O_PATH); found) {
      struct stat st {};
      if (::fstat(found->get(), &st) != 0 || !S_ISREG(st.st_mode)) return {};  // a whiteout, or not a file
      auto readable = fs::open_in_root(root.get(), path, O_RDONLY);
      if (!readable) return {};
      std::string content;
      char buffer[8192];
      ssize_t n;
      while ((n = ::read(readable->get(), buffer, sizeof buffer)) > 0 && content.size() < (16u << 20))
        content.append(buffer, static_cast<size_t>(n));
      return content;
    }
    if (!parent.empty()) {
      if (auto directory = fs::open_in_root(root.get(), parent, O_PATH | O_DIRECTORY); directory) {
        char value[4] = {};
        std::string proc_path = fs::fd_path(directory->get());
        if (::getxattr(proc_path.c_str(), "trusted.overlay.opaque", value, sizeof value) > 0 && value[0] == 'y')
          return {};  // an opaque directory hides everything below it
      }
    }
  }
  return {};
}

bool is_mount_point(const std::string& path) {
  struct stat self {}, parent {};
  if (::stat(path.c_str(), &self) != 0) return false;
  if (::stat((path + "/..").c_str(), &parent) != 0) return false;
  // Overlay gets its own st_dev; a bind of the same file system would need mountinfo, but we only mount overlays.
  return self.st_dev != parent.st_dev;
}

Result<void> mount_overlay(const OverlayPaths& paths, const std::string& layers_base) {
  if (paths.lower_dirs.empty()) return unexpected(Error("the image has no layers", EINVAL));
  BERTH_TRY(fs::make_directories(paths.upper, 0755));
  BERTH_TRY(fs::make_directories(paths.work, 0700));
  BERTH_TRY(fs::make_directories(paths.target, 0755));
  if (is_mount_point(paths.target)) return {};
  // Relative lower dirs are resolved against the working directory of the mounting process: enter the layer store
  // for the call (the supervisor is single-threaded, so the cwd change is not observed elsewhere).
  std::string options = overlay_options(paths, layers_base);
  UniqueFd previous(::open(".", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (::chdir(layers_base.c_str()) != 0) return sys_error(fmt::format("chdir {}", layers_base));
  int rc = ::mount("overlay", paths.target.c_str(), "overlay", 0, options.c_str());
  int saved = errno;
  if (previous) (void)::fchdir(previous.get());
  if (rc != 0) return sys_error(fmt::format("mount overlay at {}", paths.target), saved);
  return {};
}

Result<void> unmount(const std::string& target) {
  if (::umount2(target.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW) != 0 && errno != EINVAL && errno != ENOENT)
    return sys_error(fmt::format("unmount {}", target));
  return {};
}

EtcFiles make_etc_files(const std::string& hostname, const std::string& domainname, const std::string& network_mode,
                        const std::string& host_hosts, const std::string& host_resolv_conf,
                        const std::string& container_ip) {
  EtcFiles files;
  files.hostname = hostname + "\n";
  if (network_mode == "host") {
    files.hosts = host_hosts;
  } else {
    files.hosts =
        "127.0.0.1\tlocalhost\n"
        "::1\tlocalhost ip6-localhost ip6-loopback\n"
        "fe00::0\tip6-localnet\n"
        "ff00::0\tip6-mcastprefix\n"
        "ff02::1\tip6-allnodes\n"
        "ff02::2\tip6-allrouters\n";
    if (!container_ip.empty()) {
      std::string names = domainname.empty() ? hostname : hostname + "." + domainname + "\t" + hostname;
      files.hosts += container_ip + "\t" + names + "\n";
    }
  }
  // Docker copies the host's resolv.conf, dropping loopback name servers a container cannot reach (unless it
  // shares the host's network).
  for (const auto& line : text::split(host_resolv_conf, '\n')) {
    auto trimmed = text::trim(line);
    if (trimmed.empty()) continue;
    if (network_mode != "host" && text::starts_with(trimmed, "nameserver")) {
      auto server = text::trim(trimmed.substr(10));
      if (text::starts_with(server, "127.") || server == "::1") continue;
    }
    files.resolv_conf.append(trimmed).push_back('\n');
  }
  return files;
}

}  // namespace berth::container
