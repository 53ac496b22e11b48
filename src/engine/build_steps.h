// The builder's step executor: one class shared by build.cc (the driver and the metadata
// instructions), build_run.cc (RUN), build_copy.cc (COPY/ADD/WORKDIR) and build_cache.cc.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <ostream>
#include <string>
#include <set>
#include <vector>

#include "base/unique_fd.h"
#include "build/cache_key.h"
#include "engine/build_internal.h"
#include "engine/engine.h"

namespace berth::engine::buildimpl {

// Concurrency: independent stages run on their own threads (Builder::run schedules them). A
// stage's thread holds mu_ (the builder lock) except in its slow sections (a RUN's process, the
// copy into a staging directory, hashing, writing a layer tar), which touch only their own files
// and release it with an Unlocked. So the engine, its database connection, held_ and the stages'
// states are only ever used under mu_, and the progress output has a lock of its own (out_mu_).
class Builder {
 public:
  Builder(Engine& e, const BuildRequest& r, std::ostream& out) : eng_(e), req_(r), out_(out) {}
  ~Builder();
  Result<BuildResult> run();

 private:
  // ---- progress (BuildKit's plain form) ----
  int begin(const std::string& title);
  void log_line(int n, const std::string& line);
  void done(int n);
  void cached(int n);
  void failed(int n, const std::string& msg);
  void report_failure(const Stage& s, const Error& e);
  double elapsed(int n) const;
  void tty_redraw_output();
  std::string fit(const std::string& s, size_t used) const;  // cut to the terminal's width

  // Releases the builder lock for a slow section (the caller holds it); takes it back at the end.
  class Unlocked {
   public:
    explicit Unlocked(Builder& b) : b_(b) { b_.mu_.unlock(); }
    ~Unlocked() { b_.mu_.lock(); }
    Unlocked(const Unlocked&) = delete;
    Unlocked& operator=(const Unlocked&) = delete;

   private:
    Builder& b_;
  };

  // ---- driver (build.cc) ----
  Status build_stages(const std::vector<bool>& needed,
                      const std::vector<std::vector<size_t>>& deps);
  Status build_stage(Stage& s);
  // kInvalidArgument "circular dependency detected on stage: x" when the needed stages' --from
  // references loop.
  Status check_stage_cycles(const std::vector<bool>& needed,
                            const std::vector<std::vector<size_t>>& deps);
  Status from(Stage& s, const build::Instruction& ins, int op, int ops);
  Status dispatch(Stage& s, const build::Instruction& ins, int& op, int ops);
  Status metadata(State& st, const build::Instruction& ins);
  build::Vars vars(const State& st) const;  // ARGs in scope overlaid by ENV
  // A history entry that also goes into the cache key chain (add_history), or not (push_history).
  void add_history(State& st, const std::string& created_by, bool empty_layer);
  void push_history(State& st, const std::string& created_by, bool empty_layer);
  Result<Stage*> stage_by_name(const std::string& name);
  std::string step_title(const Stage& s, int op, int ops, const build::Instruction& ins) const;

  // ---- layers and cache (build_cache.cc) ----
  struct CacheHit {
    std::string top_layer, diff_id;
    int64_t created = 0;
    uint64_t size = 0;  // bytes of the layer the step made
  };
  Result<std::optional<CacheHit>> cache_get(const std::string& key);
  Status cache_put(const std::string& key, const CacheHit& v);
  // `dir` (overlay form) becomes a layer on st.top_layer; empty dir: no layer. With `movable`
  // (a staging dir berth filled itself, no overlay xattrs) its entries are moved into the layer
  // store instead of being extracted again from the tar.
  Result<CacheHit> commit_dir(const State& st, const std::string& dir, bool movable = false);
  // Applies a step's result to the state: diff id, top layer, history, key.
  void apply(State& st, const std::string& key, const CacheHit& hit, const std::string& created_by);
  // The layer dirs of st's chain, top first, once the chain is safe to read (pin).
  Result<std::vector<std::string>> lowers(const State& st);
  // Makes sure the chain ending at `chain` cannot be deleted while this build runs. Layers this
  // build made, and the top layers of the cache rows it hit, are safe already: it holds a
  // reference on the first, and cache rows (which hold one each) are only deleted under the
  // exclusive store lock, which waits for this build's shared one. Any other layer (an image's,
  // which `rmi` may drop at any time) gets a reference of the build, taken here: only when a step
  // is about to read it, so a rebuild whose steps all hit the cache writes nothing.
  Status pin(const std::string& chain);

  // ---- RUN (build_run.cc) ----
  Status run_step(Stage& s, const build::Instruction& ins, int n);
  // ---- COPY/ADD/WORKDIR (build_copy.cc) ----
  Status copy_step(Stage& s, const build::Instruction& ins, int n);
  Status workdir_step(State& st, const build::Instruction& ins, const std::string& dir, int n);

  Engine& eng_;
  const BuildRequest& req_;
  std::ostream& out_;
  build::Dockerfile df_;
  build::IgnoreMatcher ignore_;
  build::FileDigestCache digests_;  // context file digests by stat, kept across builds
  std::vector<Stage> stages_;
  build::Vars meta_args_;  // ARGs before the first FROM, with values
  std::map<std::string, std::string> build_args_;  // --build-arg, resolved
  std::set<std::string> consumed_args_;
  std::vector<std::string> held_;  // layer refs this build holds until it ends
  std::set<std::string> safe_;     // chains safe to read without a reference (see pin)
  UniqueFd lock_;
  std::mutex mu_;                   // the builder lock (see the class comment)
  std::condition_variable stage_cv_;  // a stage ended (with mu_)
  std::atomic<bool> stop_{false};   // a stage failed: the others stop at their next step
  std::recursive_mutex out_mu_;     // progress output and the step tables below
  int last_begun_ = 0;
  std::set<int> reported_;          // steps that printed their ERROR line              // tty view: the step whose lines are drawn last
  int next_ = 1;
  std::map<int, std::chrono::steady_clock::time_point> started_;
  std::map<int, std::string> titles_;
  std::vector<std::string> tty_tail_;  // the running step's last output lines (tty mode)
  size_t tty_shown_ = 0;               // lines drawn under the running step's title
  int64_t build_time_ = 0;
};

// Kills the processes of all RUN steps running now (a stage failed; build_run.cc).
void kill_running_steps();
// "/bin/sh -c" style: shell + [command].
std::vector<std::string> shell_argv(const State& st, const std::string& command);

}  // namespace berth::engine::buildimpl
