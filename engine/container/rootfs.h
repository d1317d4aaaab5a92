// A container's root: overlayfs over its image's unpacked layers with a private writable upper directory, plus
// the generated /etc/hostname, /etc/hosts and /etc/resolv.conf that are bind-mounted over the image's.
#pragma once

#include <string>
#include <vector>

#include "core/result.h"

namespace berth::container {

struct OverlayPaths {
  std::vector<std::string> lower_dirs;  // lowest layer first
  std::string upper, work, target;
};

// The mount data string for overlayfs, with lower dirs relative to `base` when they are below it (keeps the
// options under a page for deep images). Pure.
std::string overlay_options(const OverlayPaths& paths, const std::string& base);

// Reads a file through a root fd (RESOLVE_IN_ROOT: a link in the image never leads to the host's file). Missing or
// unreadable is empty; at most 16 MiB (a larger /etc/passwd is an attack, not a user list).
std::string read_file_in_root(int root_fd, const char* path);

// Reads a file of the container's merged view straight from its layers (upper first, then the lower dirs from
// the top), as overlayfs would show it: a whiteout or an opaque parent directory ends the search. Paths inside each
// layer are resolved within that layer (no link leads out of it). Empty when the file does not exist. Used to read
// the image's /etc/passwd before the container (and its root) exists.
std::string read_merged_file(const OverlayPaths& paths, const std::string& layers_base, const std::string& path);

// Mounts the overlay at paths.target (no-op if something is already mounted there).
Result<void> mount_overlay(const OverlayPaths& paths, const std::string& layers_base);
// Lazily unmounts `target`; not being mounted is success.
Result<void> unmount(const std::string& target);
bool is_mount_point(const std::string& path);

struct EtcFiles {
  std::string hostname;    // content of /etc/hostname
  std::string hosts;       // content of /etc/hosts
  std::string resolv_conf; // content of /etc/resolv.conf
};

// What Docker writes for a container on `network_mode` ("none", "host", or a bridge later): pure, from the host's
// own files' contents.
EtcFiles make_etc_files(const std::string& hostname, const std::string& domainname, const std::string& network_mode,
                        const std::string& host_hosts, const std::string& host_resolv_conf,
                        const std::string& container_ip = "");

}  // namespace berth::container
