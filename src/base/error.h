// berth's one error type and Result<T>.
//
// Every fallible function returns Result<T>. An Error has a Code (the category a caller branches
// on), the errno that caused it (0 if none) and a message. Each layer adds context as a lowercase
// clause: "reading layer sha256:ab..: open ...: No such file or directory".
// Only the CLI and the API turn a Code into an exit code or an HTTP status (http_status).
#pragma once

#include <cerrno>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace berth {

enum class Code {
  kNotFound,
  kAlreadyExists,
  kInvalidArgument,
  kFailedPrecondition,
  kPermissionDenied,
  kUnavailable,
  kUnimplemented,
  kConflict,
  kCancelled,
  kInternal,
};

std::string_view code_name(Code code);

class Error {
 public:
  Error(Code code, std::string message, int sys_errno = 0)
      : code_(code), sys_errno_(sys_errno), message_(std::move(message)) {}

  Code code() const { return code_; }
  int sys_errno() const { return sys_errno_; }
  const std::string& message() const { return message_; }

  // Prefixes "what: " to the message. Returns *this so `return std::move(e).context("x")` reads well.
  Error&& context(std::string_view what) &&;
  Error& context(std::string_view what) &;

 private:
  Code code_;
  int sys_errno_;
  std::string message_;
};

// Error from an errno value; the Code follows the errno (ENOENT -> kNotFound, EEXIST -> ...).
Error sys_error(std::string_view what, int err = errno);

// Convenience constructors.
inline Error not_found(std::string msg) { return Error(Code::kNotFound, std::move(msg)); }
inline Error already_exists(std::string msg) { return Error(Code::kAlreadyExists, std::move(msg)); }
inline Error invalid_argument(std::string msg) {
  return Error(Code::kInvalidArgument, std::move(msg));
}
inline Error failed_precondition(std::string msg) {
  return Error(Code::kFailedPrecondition, std::move(msg));
}
inline Error conflict(std::string msg) { return Error(Code::kConflict, std::move(msg)); }
inline Error unavailable(std::string msg) { return Error(Code::kUnavailable, std::move(msg)); }
inline Error unimplemented(std::string msg) { return Error(Code::kUnimplemented, std::move(msg)); }
inline Error permission_denied(std::string msg) {
  return Error(Code::kPermissionDenied, std::move(msg));
}
inline Error internal_error(std::string msg) { return Error(Code::kInternal, std::move(msg)); }

// Exit codes are the CLI's to choose, as Docker's CLI does: 125 for flag errors and for
// `run`/`create` failures, 1 for other failed requests (cli::Cli::fail), 126/127 for commands
// that cannot run (runtime::exit_code_for).
// HTTP status for the API face (404, 409, 400, 500, ...).
int http_status(const Error& e);

// Result<T>: a value or an Error, shaped like std::expected (absent from g++ 12 in C++20).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  Error& error() & { return std::get<1>(v_); }
  const Error& error() const& { return std::get<1>(v_); }
  Error&& error() && { return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : err_(std::move(error)), has_err_(true) {}  // NOLINT

  bool ok() const { return !has_err_; }
  explicit operator bool() const { return ok(); }
  Error& error() & { return err_; }
  const Error& error() const& { return err_; }
  Error&& error() && { return std::move(err_); }

 private:
  Error err_{Code::kInternal, ""};
  bool has_err_ = false;
};

using Status = Result<void>;

inline Status ok_status() { return Status(); }

}  // namespace berth

#define BERTH_CONCAT_INNER_(a, b) a##b
#define BERTH_CONCAT_(a, b) BERTH_CONCAT_INNER_(a, b)

// Returns the error of a Result/Status expression from the enclosing function.
#define BERTH_TRY(expr)                                         \
  do {                                                          \
    auto&& berth_try_r_ = (expr);                               \
    if (!berth_try_r_.ok()) return std::move(berth_try_r_).error(); \
  } while (0)

// Like BERTH_TRY, adding a context clause to the error.
#define BERTH_TRY_CTX(expr, ctx)                                                 \
  do {                                                                           \
    auto&& berth_try_r_ = (expr);                                                \
    if (!berth_try_r_.ok()) return std::move(berth_try_r_).error().context(ctx); \
  } while (0)

#define BERTH_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) return std::move(tmp).error();      \
  lhs = std::move(tmp).value()

// `BERTH_ASSIGN_OR_RETURN(auto x, f());` declares x from f()'s value or returns its error.
#define BERTH_ASSIGN_OR_RETURN(lhs, expr) \
  BERTH_ASSIGN_OR_RETURN_IMPL_(BERTH_CONCAT_(berth_aor_, __LINE__), lhs, expr)
