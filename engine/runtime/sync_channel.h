// The messages between the runtime (parent) and a process it is setting up (child), over a SOCK_SEQPACKET
// socketpair: one datagram per message, optionally carrying one fd (SCM_RIGHTS). The child side allocates nothing:
// it runs between clone and execve, where another thread of the caller may hold the allocator's lock.
#pragma once

#include <sys/types.h>

#include <cstdint>

#include "core/fd.h"
#include "core/result.h"

namespace berth::runtime {

enum class SyncKind : uint32_t {
  ready = 1,      // child -> parent: set up, now waiting for start
  error,          // child -> parent: a step failed (errno + text); the child exits
  console,        // child -> parent: the pty master (fd attached)
  child_pid,      // intermediate -> parent: the pid of the process it cloned (pidfd attached)
};

struct SyncMessage {
  SyncKind kind = SyncKind::ready;
  int32_t error_number = 0;
  int32_t pid = 0;
  char text[500] = {};
};

// Child side (no allocation). Returns false on failure with errno set.
bool send_sync_message(int socket_fd, const SyncMessage& message, int attached_fd = -1);
// Blocks for one message; false on EOF or error (errno 0 on EOF).
bool receive_sync_message(int socket_fd, SyncMessage& message, UniqueFd* attached_fd);

// Parent side: one message, or nullopt-like EOF (returns false in `got_message`).
struct ReceivedMessage {
  bool eof = false;
  SyncMessage message;
  UniqueFd attached;
};
Result<ReceivedMessage> receive_from_child(int socket_fd);

// Sends `fd` over a connected AF_UNIX socket at `socket_path` (OCI --console-socket).
Result<void> send_fd_to_socket_path(const std::string& socket_path, int fd);

}  // namespace berth::runtime
