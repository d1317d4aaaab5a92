// Errors as values: Result<T> with std::expected's names, so it can become std::expected once our
// tools (clang 14 for clang-tidy/clangd) parse <expected>.
#pragma once

#include <cerrno>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace berth {

// One failure: a one-line message that grows a prefix of context as it travels up ("creating container web-1:
// mount overlay: No such file or directory"), and the errno that started it, if any.
class Error {
 public:
  Error() = default;
  explicit Error(std::string message, int errno_value = 0) : message_(std::move(message)), errno_(errno_value) {}

  // "operation: strerror(errno_value)".
  static Error from_errno(std::string_view operation, int errno_value = errno);

  // Prefix with what we were doing: "context: message".
  Error wrap(std::string_view context) &&;
  Error wrap(std::string_view context) const&;

  const std::string& message() const { return message_; }
  int errno_value() const { return errno_; }

 private:
  std::string message_;
  int errno_ = 0;
};

// The failing side of a Result, as std::unexpected.
template <class E>
class Unexpected {
 public:
  explicit Unexpected(E error) : error_(std::move(error)) {}
  E& error() & { return error_; }
  E&& error() && { return std::move(error_); }

 private:
  E error_;
};

inline Unexpected<Error> unexpected(Error error) { return Unexpected<Error>(std::move(error)); }

// Shorthand for the most common failure: a syscall that set errno.
inline Unexpected<Error> sys_error(std::string_view operation, int errno_value = errno) {
  return unexpected(Error::from_errno(operation, errno_value));
}

template <class T>
class [[nodiscard]] Result {
 public:
  using value_type = T;
  using error_type = Error;

  Result() requires std::is_default_constructible_v<T> : storage_(std::in_place_index<0>) {}
  Result(const T& value) : storage_(std::in_place_index<0>, value) {}                  // NOLINT: implicit like expected
  Result(T&& value) : storage_(std::in_place_index<0>, std::move(value)) {}            // NOLINT
  template <class U>
    requires(std::is_constructible_v<T, U&&> && !std::is_same_v<std::remove_cvref_t<U>, T> &&
             !std::is_same_v<std::remove_cvref_t<U>, Error> &&
             !std::is_same_v<std::remove_cvref_t<U>, Unexpected<Error>> &&
             !std::is_same_v<std::remove_cvref_t<U>, Result<T>>)
  Result(U&& value) : storage_(std::in_place_index<0>, T(std::forward<U>(value))) {}  // NOLINT
  Result(Unexpected<Error> failure) : storage_(std::in_place_index<1>, std::move(failure).error()) {}  // NOLINT
  Result(Error error) : storage_(std::in_place_index<1>, std::move(error)) {}          // NOLINT

  bool has_value() const { return storage_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & { return std::get<0>(storage_); }
  const T& value() const& { return std::get<0>(storage_); }
  T&& value() && { return std::get<0>(std::move(storage_)); }
  T take_value() { return std::move(std::get<0>(storage_)); }

  Error& error() & { return std::get<1>(storage_); }
  const Error& error() const& { return std::get<1>(storage_); }
  Error&& error() && { return std::get<1>(std::move(storage_)); }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  template <class U>
  T value_or(U&& fallback) const& {
    return has_value() ? value() : static_cast<T>(std::forward<U>(fallback));
  }

  // Adds context to a failure and passes a success through untouched.
  Result context(std::string_view what) && {
    if (!has_value()) return std::move(error()).wrap(what);
    return std::move(*this);
  }

 private:
  std::variant<T, Error> storage_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  using value_type = void;
  using error_type = Error;

  Result() = default;
  Result(Unexpected<Error> failure) : error_(std::move(failure).error()), failed_(true) {}  // NOLINT
  Result(Error error) : error_(std::move(error)), failed_(true) {}                          // NOLINT

  bool has_value() const { return !failed_; }
  explicit operator bool() const { return has_value(); }
  void value() const {}
  void take_value() const {}

  Error& error() & { return error_; }
  const Error& error() const& { return error_; }
  Error&& error() && { return std::move(error_); }

  Result context(std::string_view what) && {
    if (failed_) error_ = std::move(error_).wrap(what);
    return std::move(*this);
  }

 private:
  Error error_;
  bool failed_ = false;
};

}  // namespace berth

// Early return on failure; evaluates to the value on success. Reads like SerenityOS's TRY:
//   auto fd = BERTH_TRY(open_in_root(root, "etc/passwd", O_RDONLY));
// Uses a GNU statement expression (GCC and clang both have them).
#define BERTH_TRY(expression)                                          \
  ({                                                                    \
    auto&& berth_try_result_ = (expression);                            \
    if (!berth_try_result_.has_value())                                 \
      return ::berth::unexpected(std::move(berth_try_result_).error()); \
    berth_try_result_.take_value();                                     \
  })

// As BERTH_TRY, prefixing the error with context on the way out.
#define BERTH_TRY_CONTEXT(expression, context_text)                                              \
  ({                                                                                              \
    auto&& berth_try_result_ = (expression);                                                      \
    if (!berth_try_result_.has_value())                                                           \
      return ::berth::unexpected(std::move(berth_try_result_).error().wrap(context_text)); \
    berth_try_result_.take_value();                                                               \
  })
