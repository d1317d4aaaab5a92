#include "core/result.h"

#include <cstring>

namespace berth {

Error Error::from_errno(std::string_view operation, int errno_value) {
  std::string message(operation);
  message += ": ";
  message += std::strerror(errno_value);
  return Error(std::move(message), errno_value);
}

Error Error::wrap(std::string_view context) && {
  std::string message;
  message.reserve(context.size() + 2 + message_.size());
  message.append(context).append(": ").append(message_);
  message_ = std::move(message);
  return std::move(*this);
}

Error Error::wrap(std::string_view context) const& {
  Error copy = *this;
  return std::move(copy).wrap(context);
}

}  // namespace berth
