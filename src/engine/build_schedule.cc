// The builder's stage scheduler: a loop of --from references is refused before anything runs;
// then each needed stage runs as soon as the stages it reads are built.
#include <algorithm>
#include <cstdlib>
#include <functional>
#include <thread>

#include "engine/build_steps.h"

namespace berth::engine::buildimpl {

Status Builder::check_stage_cycles(const std::vector<bool>& needed,
                                   const std::vector<std::vector<size_t>>& deps) {
  enum { kNew, kOnPath, kFinished };
  std::vector<int> mark(stages_.size(), kNew);
  std::function<Status(size_t)> visit = [&](size_t x) -> Status {
    mark[x] = kOnPath;
    for (size_t d : deps[x]) {
      if (mark[d] == kOnPath) {
        const Stage& s = stages_[d];
        return invalid_argument("circular dependency detected on stage: " +
                                (s.name.empty() ? std::to_string(s.index) : s.name));
      }
      if (mark[d] == kNew) BERTH_TRY(visit(d));
    }
    mark[x] = kFinished;
    return {};
  };
  for (size_t x = 0; x < stages_.size(); ++x)
    if (needed[x] && mark[x] == kNew) BERTH_TRY(visit(x));
  return {};
}

// Stages whose inputs are built run at once, on threads of their own, at most one per core (a
// RUN's process or a big copy keeps one busy); the others wait for a free one. The first
// failure stops the rest: stages not started never start, running RUNs are killed, and the
// build fails with that first error (its step and stage are named in the progress). Called
// with mu_ held, which each stage's thread holds too except in its slow sections.
Status Builder::build_stages(const std::vector<bool>& needed,
                             const std::vector<std::vector<size_t>>& deps) {
  enum { kWaiting, kRunning, kDone };
  std::vector<int> state(stages_.size(), kWaiting);
  size_t left = 0;
  // A needed stage may come after the target (a --from may name a later stage).
  const size_t last = stages_.size() - 1;
  for (size_t x = 0; x <= last; ++x) left += needed[x] ? 1 : 0;
  // BERTH_BUILD_MAX_PARALLELISM caps it, as buildkitd's max-parallelism (1: one stage at a time).
  size_t limit = std::max(1u, std::thread::hardware_concurrency());
  if (const char* m = std::getenv("BERTH_BUILD_MAX_PARALLELISM"); m && std::atoi(m) > 0)
    limit = static_cast<size_t>(std::atoi(m));
  size_t running = 0;
  std::optional<Error> first_error;
  size_t failed_stage = 0;
  std::vector<std::thread> threads;
  std::unique_lock<std::mutex> lock(mu_, std::adopt_lock);
  auto finish = [&](size_t x, Status st) {
    state[x] = kDone;
    --running;
    --left;
    if (!st.ok() && !first_error) {
      first_error = std::move(st).error();
      stop_ = true;
      kill_running_steps();
      failed_stage = x;
    }
    stage_cv_.notify_all();
  };
  auto ready = [&](size_t x) {
    return needed[x] && state[x] == kWaiting &&
           std::all_of(deps[x].begin(), deps[x].end(), [&](size_t d) { return state[d] == kDone; });
  };
  while (left > 0 && !(stop_ && running == 0)) {
    if (!stop_ && running == 0) {
      // One stage ready and none running: nothing could run beside it (the others wait for it),
      // so it runs here, without a thread to start and wake (a chain of stages costs nothing).
      size_t count = 0, only = 0;
      for (size_t x = 0; x <= last; ++x)
        if (ready(x)) ++count, only = x;
      if (count == 1) {
        state[only] = kRunning;
        ++running;
        Status st;
        try {
          st = build_stage(stages_[only]);
        } catch (const std::exception& e) {
          st = internal_error(std::string("stage ") + stages_[only].state.name + ": " + e.what());
        }
        finish(only, std::move(st));
        continue;
      }
    }
    if (!stop_) {
      for (size_t x = 0; x <= last && running < limit; ++x) {
        if (!ready(x)) continue;
        state[x] = kRunning;
        ++running;
        threads.emplace_back([this, x, &finish] {
          std::lock_guard<std::mutex> l(mu_);
          Status st;
          try {
            st = build_stage(stages_[x]);
          } catch (const std::exception& e) {
            st = internal_error(std::string("stage ") + stages_[x].state.name + ": " + e.what());
          }
          finish(x, std::move(st));
        });
      }
    }
    stage_cv_.wait(lock);
  }
  lock.unlock();
  for (auto& t : threads) t.join();
  lock.lock();
  lock.release();  // the caller's hold on mu_ goes on
  if (first_error) {
    report_failure(stages_[failed_stage], *first_error);
    return std::move(*first_error);
  }
  return {};
}

}  // namespace berth::engine::buildimpl
