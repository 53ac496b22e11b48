// The builder's progress output: BuildKit's plain log (`#5 [2/3] RUN ...`, `#5 0.123 <line>`,
// `#5 DONE 0.4s`, CACHED, ERROR, CANCELED) or, on a terminal, a live view that redraws the
// running step's last output lines.
#include <iomanip>
#include <sstream>

#include "engine/build_steps.h"

namespace berth::engine::buildimpl {

std::string Builder::fit(const std::string& s, size_t used) const {
  size_t width = req_.tty_width > 20 ? static_cast<size_t>(req_.tty_width) : 80;
  size_t room = width > used + 1 ? width - used - 1 : 1;
  std::string out;
  for (char c : s) out += (c == '\t' || c == '\r') ? ' ' : c;
  return out.size() > room ? out.substr(0, room) : out;
}

int Builder::begin(const std::string& title) {
  std::lock_guard l(out_mu_);
  int n = next_++;
  last_begun_ = n;
  started_[n] = std::chrono::steady_clock::now();
  titles_[n] = title;
  if (req_.progress == "tty") {
    tty_tail_.clear();
    tty_shown_ = 0;
    out_ << " => " << fit(title, 4) << "\n" << std::flush;
    return n;
  }
  out_ << "#" << n << " " << title << "\n" << std::flush;
  return n;
}

double Builder::elapsed(int n) const {
  std::lock_guard l(const_cast<std::recursive_mutex&>(out_mu_));
  auto it = started_.find(n);
  if (it == started_.end()) return 0;
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - it->second).count();
}

// Erases the output lines drawn under the running step and draws the last few again.
void Builder::tty_redraw_output() {
  if (tty_shown_) out_ << "\033[" << tty_shown_ << "A\033[J";
  for (const auto& l : tty_tail_) out_ << "\033[2m => => # " << fit(l, 9) << "\033[0m\n";
  tty_shown_ = tty_tail_.size();
  out_ << std::flush;
}

void Builder::log_line(int n, const std::string& line) {
  std::lock_guard l(out_mu_);
  if (req_.progress == "tty") {
    if (n != last_begun_) return;  // another stage's step is drawn below this one
    tty_tail_.push_back(line);
    if (tty_tail_.size() > 6) tty_tail_.erase(tty_tail_.begin());
    tty_redraw_output();
    return;
  }
  std::ostringstream t;
  t << std::fixed << std::setprecision(3) << elapsed(n);
  out_ << "#" << n << " " << t.str() << " " << line << "\n" << std::flush;
}

void Builder::done(int n) {
  std::lock_guard l(out_mu_);
  std::ostringstream t;
  t << std::fixed << std::setprecision(1) << elapsed(n);
  if (req_.progress == "tty" && n != last_begun_) {
    // Not the last line drawn (stages in parallel): a line of its own.
    out_ << " => " << fit(titles_[n], 12) << "  " << t.str() << "s\n" << std::flush;
    return;
  }
  if (req_.progress == "tty") {
    // The step's line again, with its time; its output goes away, as BuildKit's view does.
    out_ << "\033[" << (tty_shown_ + 1) << "A\033[J => " << fit(titles_[n], 12) << "  "
         << t.str() << "s\n" << std::flush;
    tty_tail_.clear();
    tty_shown_ = 0;
    return;
  }
  out_ << "#" << n << " DONE " << t.str() << "s\n\n" << std::flush;
}

void Builder::cached(int n) {
  std::lock_guard l(out_mu_);
  if (req_.progress == "tty" && n != last_begun_) {
    out_ << " => CACHED " << fit(titles_[n], 11) << "\n" << std::flush;
    return;
  }
  if (req_.progress == "tty") {
    out_ << "\033[1A\033[J => CACHED " << fit(titles_[n], 11) << "\n" << std::flush;
    return;
  }
  out_ << "#" << n << " CACHED\n\n" << std::flush;
}

void Builder::failed(int n, const std::string& msg) {
  std::lock_guard l(out_mu_);
  reported_.insert(n);
  if (msg == "canceled") {
    // Stopped because another stage failed, or by a signal (BuildKit's word).
    if (req_.progress == "tty") out_ << " => CANCELED " << titles_[n] << "\n" << std::flush;
    else out_ << "#" << n << " CANCELED\n" << std::flush;
    return;
  }
  if (req_.progress == "tty") {
    // Keep the output that explains the failure.
    out_ << " => ERROR " << titles_[n] << ": " << msg << "\n" << std::flush;
    return;
  }
  out_ << "#" << n << " ERROR: " << msg << "\n" << std::flush;
}

// As BuildKit ends a failed build: the failing step (and so its stage) in a block of its own
// before the error, and its ERROR line when the step did not print one.
void Builder::report_failure(const Stage& s, const Error& e) {
  std::lock_guard l(out_mu_);
  if (e.code() == Code::kCancelled || !s.last_step) return;
  if (!reported_.count(s.last_step)) {
    std::string msg = e.message();
    std::string prefix = req_.dockerfile_name + ":";
    if (msg.rfind(prefix, 0) == 0 && msg.find(": ") != std::string::npos)
      msg = msg.substr(msg.find(": ") + 2);
    failed(s.last_step, msg);
  }
  if (req_.progress == "tty") return;
  out_ << "------\n > " << titles_[s.last_step] << ":\n------\n" << std::flush;
}

}  // namespace berth::engine::buildimpl
