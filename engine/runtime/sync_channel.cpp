#include "engine/runtime/sync_channel.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <cstring>
#include <fmt/core.h>

namespace berth::runtime {

bool send_sync_message(int socket_fd, const SyncMessage& message, int attached_fd) {
  iovec io{const_cast<SyncMessage*>(&message), sizeof message};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr header{};
  header.msg_iov = &io;
  header.msg_iovlen = 1;
  if (attached_fd >= 0) {
    header.msg_control = control;
    header.msg_controllen = sizeof control;
    cmsghdr* cmsg = CMSG_FIRSTHDR(&header);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(cmsg), &attached_fd, sizeof(int));
  }
  for (;;) {
    ssize_t sent = ::sendmsg(socket_fd, &header, MSG_NOSIGNAL);
    if (sent >= 0) return true;
    if (errno != EINTR) return false;
  }
}

bool receive_sync_message(int socket_fd, SyncMessage& message, UniqueFd* attached_fd) {
  iovec io{&message, sizeof message};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr header{};
  header.msg_iov = &io;
  header.msg_iovlen = 1;
  header.msg_control = control;
  header.msg_controllen = sizeof control;
  ssize_t received;
  do {
    received = ::recvmsg(socket_fd, &header, MSG_CMSG_CLOEXEC);
  } while (received < 0 && errno == EINTR);
  if (received <= 0) {
    if (received == 0) errno = 0;
    return false;
  }
  for (cmsghdr* cmsg = CMSG_FIRSTHDR(&header); cmsg; cmsg = CMSG_NXTHDR(&header, cmsg)) {
    if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS) continue;
    int fd = -1;
    std::memcpy(&fd, CMSG_DATA(cmsg), sizeof(int));
    if (attached_fd)
      attached_fd->reset(fd);
    else
      ::close(fd);
  }
  if (static_cast<size_t>(received) < sizeof message) {
    errno = EPROTO;
    return false;
  }
  message.text[sizeof message.text - 1] = '\0';
  return true;
}

Result<ReceivedMessage> receive_from_child(int socket_fd) {
  ReceivedMessage received;
  if (!receive_sync_message(socket_fd, received.message, &received.attached)) {
    // ECONNRESET: the child died with data unread on its side; for us that is an end of stream like EOF.
    if (errno == 0 || errno == ECONNRESET) {
      received.eof = true;
      return received;
    }
    return sys_error("receive from the container's set-up process");
  }
  return received;
}

Result<void> send_fd_to_socket_path(const std::string& socket_path, int fd) {
  UniqueFd socket_fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!socket_fd) return sys_error("socket");
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof address.sun_path)
    return unexpected(Error(fmt::format("console socket path {} is too long", socket_path), ENAMETOOLONG));
  std::memcpy(address.sun_path, socket_path.c_str(), socket_path.size() + 1);
  if (::connect(socket_fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
    return sys_error(fmt::format("connect to console socket {}", socket_path));
  // The payload is informational (runc sends the pty's name); receivers only take the fd.
  char payload[] = "/dev/ptmx";
  iovec io{payload, sizeof payload - 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr header{};
  header.msg_iov = &io;
  header.msg_iovlen = 1;
  header.msg_control = control;
  header.msg_controllen = sizeof control;
  cmsghdr* cmsg = CMSG_FIRSTHDR(&header);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
  if (::sendmsg(socket_fd.get(), &header, MSG_NOSIGNAL) < 0)
    return sys_error(fmt::format("send the console to {}", socket_path));
  return {};
}

}  // namespace berth::runtime
