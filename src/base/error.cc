#include "base/error.h"

#include <cstring>
#include <string>

namespace berth {

std::string_view code_name(Code code) {
  switch (code) {
    case Code::kNotFound: return "not-found";
    case Code::kAlreadyExists: return "already-exists";
    case Code::kInvalidArgument: return "invalid-argument";
    case Code::kFailedPrecondition: return "failed-precondition";
    case Code::kPermissionDenied: return "permission-denied";
    case Code::kUnavailable: return "unavailable";
    case Code::kUnimplemented: return "unimplemented";
    case Code::kConflict: return "conflict";
    case Code::kCancelled: return "cancelled";
    case Code::kInternal: return "internal";
  }
  return "internal";
}

Error&& Error::context(std::string_view what) && {
  context(what);
  return std::move(*this);
}

Error& Error::context(std::string_view what) & {
  if (!what.empty()) message_ = std::string(what) + ": " + message_;
  return *this;
}

Error sys_error(std::string_view what, int err) {
  Code code = Code::kInternal;
  switch (err) {
    case ENOENT: case ENOTDIR: case ESRCH: code = Code::kNotFound; break;
    case EEXIST: case ENOTEMPTY: code = Code::kAlreadyExists; break;
    case EINVAL: case ENAMETOOLONG: case ELOOP: case EXDEV: code = Code::kInvalidArgument; break;
    case EACCES: case EPERM: case EROFS: code = Code::kPermissionDenied; break;
    case EAGAIN: case EBUSY: case ENOSPC: case EINTR: code = Code::kUnavailable; break;
    case ENOSYS: case EOPNOTSUPP: code = Code::kUnimplemented; break;
    default: break;
  }
  std::string msg(what);
  msg += ": ";
  msg += std::strerror(err);
  return Error(code, std::move(msg), err);
}

int http_status(const Error& e) {
  switch (e.code()) {
    case Code::kNotFound: return 404;
    case Code::kAlreadyExists: case Code::kConflict: return 409;
    case Code::kInvalidArgument: return 400;
    case Code::kFailedPrecondition: return 412;
    case Code::kPermissionDenied: return 403;
    case Code::kUnavailable: return 503;
    case Code::kUnimplemented: return 501;
    case Code::kCancelled: return 499;
    case Code::kInternal: return 500;
  }
  return 500;
}

}  // namespace berth
