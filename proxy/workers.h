// Workers: the event loops beyond the first ([server] threads - 1). Each runs on its own
// thread with its own libuv loop and Server: listeners bound with SO_REUSEPORT (the kernel
// spreads clients over the loops by address and port), its own c-ares channels, timers and
// transactions. The caches are shared (proxy/pipeline/server.h Shared), so a name resolved on
// one loop is a hit on every other. The main thread runs loop 0, which also owns the
// signals, the metrics listener and RFC 5011 upkeep; it reaches the workers only through
// post_all(), which runs a task on each worker's own loop (uv_async).
#pragma once

#include <uv.h>

#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "config/config.h"
#include "proxy/pipeline/server.h"
#include "resolver/anchors/trust_anchor.h"

namespace dnsp::proxy {

// The number of event loops for [server] threads = 0: the CPUs this process may run on.
size_t default_thread_count();

class Workers {
 public:
  using Task = std::function<void(Server&)>;

  Workers() = default;
  ~Workers();
  Workers(const Workers&) = delete;
  Workers& operator=(const Workers&) = delete;

  // Starts loops 1..total-1, one after the other, each binding its listeners before the
  // next starts. Returns "" or the first error (the workers already started keep running
  // until stop()). With sockets systemd passed, every loop serves a dup(2) of each: see
  // share_passed_sockets() in workers.cc.
  std::string start(size_t total, const config::Config& config,
                    const resolver::TrustAnchors& anchors, Shared& caches,
                    const std::vector<PassedSocket>& passed = {});
  // Runs `task` on every worker's loop, later; safe to call from the main loop.
  void post_all(const Task& task);
  // Stops every worker's server and waits for the threads to end.
  void stop();
  // Each worker's counters (they stay valid until the Workers object is destroyed).
  std::vector<const Stats*> stats() const;
  size_t size() const { return workers_.size(); }

 private:
  struct Worker {
    std::thread thread;
    uv_loop_t loop{};
    uv_async_t wake{};
    std::mutex mu;
    std::vector<Task> tasks;      // guarded by mu
    bool stop_requested = false;  // guarded by mu
    bool wake_closed = false;     // guarded by mu: uv_async_send no longer allowed
    std::unique_ptr<Server> server;
  };
  static void on_wake(uv_async_t* handle) noexcept;
  // The thread: builds the loop and the server, reports how start() went, then runs.
  static void run(Worker* w, config::Config config, resolver::TrustAnchors anchors, Shared* caches,
                  LoopRole role, std::vector<PassedSocket> passed,
                  std::promise<std::string> started);

  std::vector<std::unique_ptr<Worker>> workers_;
  bool stopped_ = false;
};

}  // namespace dnsp::proxy
