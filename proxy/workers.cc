#include "proxy/workers.h"

#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>

#include <utility>

#include "proxy/log.h"

namespace dnsp::proxy {

size_t default_thread_count() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) {
    return static_cast<size_t>(CPU_COUNT(&set));
  }
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : n;
}

Workers::~Workers() { stop(); }

namespace {

// Sockets systemd passed are shared by every loop, each with its own dup(2) of the
// descriptor: the kernel cannot spread one socket's clients over loops as it does with
// SO_REUSEPORT groups (systemd binds one socket per address), so every loop polls the same
// socket and whichever is free reads the next datagrams or accepts the next connection;
// the work is spread over the cores as with [server] listen. Each loop owns its duplicate,
// so a loop closing its handle (stop, drain) closes no descriptor another loop still polls.
// Serving them from loop 0 only would leave the other loops idle under socket activation.
std::vector<PassedSocket> share_passed_sockets(const std::vector<PassedSocket>& passed) {
  std::vector<PassedSocket> copies;
  for (const PassedSocket& p : passed) {
    const int fd = fcntl(p.fd, F_DUPFD_CLOEXEC, 0);
    if (fd < 0) continue;  // out of descriptors: this loop serves the others
    PassedSocket copy = p;
    copy.fd = fd;
    copies.push_back(std::move(copy));
  }
  return copies;
}

}  // namespace

std::string Workers::start(size_t total, const config::Config& config,
                           const resolver::TrustAnchors& anchors, Shared& caches,
                           const std::vector<PassedSocket>& passed) {
  for (size_t index = 1; index < total; ++index) {
    auto w = std::make_unique<Worker>();
    std::promise<std::string> started;
    auto result = started.get_future();
    w->thread =
        std::thread(&Workers::run, w.get(), config, anchors, &caches, LoopRole{index, total},
                    share_passed_sockets(passed), std::move(started));
    workers_.push_back(std::move(w));
    if (auto err = result.get(); !err.empty()) return err;
  }
  return "";
}

void Workers::run(Worker* w, config::Config config, resolver::TrustAnchors anchors, Shared* caches,
                  LoopRole role, std::vector<PassedSocket> passed,
                  std::promise<std::string> started) {
  // Signals are the main loop's business (libuv routes them there).
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, nullptr);
  uv_loop_init(&w->loop);
  uv_async_init(&w->loop, &w->wake, &Workers::on_wake);
  w->wake.data = w;
  w->server =
      std::make_unique<Server>(&w->loop, std::move(config), std::move(anchors), *caches, role);
  w->server->use_passed_sockets(std::move(passed));
  std::string err = w->server->start();
  const bool ok = err.empty();
  started.set_value(std::move(err));
  if (!ok) {
    w->server->stop();
    std::lock_guard lock(w->mu);
    w->wake_closed = true;
    uv_close(reinterpret_cast<uv_handle_t*>(&w->wake), nullptr);
  }
  uv_run(&w->loop, UV_RUN_DEFAULT);
  // The server's handles are closed; its destructor releases the rest on this thread.
  w->server.reset();
  uv_run(&w->loop, UV_RUN_DEFAULT);
  uv_loop_close(&w->loop);
}

void Workers::on_wake(uv_async_t* handle) noexcept {
  auto* w = static_cast<Worker*>(handle->data);
  std::vector<Task> tasks;
  bool stop = false;
  {
    std::lock_guard lock(w->mu);
    tasks.swap(w->tasks);
    stop = w->stop_requested;
  }
  for (auto& task : tasks) task(*w->server);
  if (stop) {
    w->server->stop();
    std::lock_guard lock(w->mu);
    w->wake_closed = true;
    uv_close(reinterpret_cast<uv_handle_t*>(&w->wake), nullptr);
  }
}

void Workers::post_all(const Task& task) {
  for (auto& w : workers_) {
    std::lock_guard lock(w->mu);
    if (w->stop_requested || w->wake_closed) continue;
    w->tasks.push_back(task);
    uv_async_send(&w->wake);
  }
}

void Workers::stop() {
  if (stopped_) return;
  stopped_ = true;
  for (auto& w : workers_) {
    std::lock_guard lock(w->mu);
    w->stop_requested = true;
    if (!w->wake_closed) uv_async_send(&w->wake);
  }
  for (auto& w : workers_) {
    if (w->thread.joinable()) w->thread.join();
  }
}

std::vector<const Stats*> Workers::stats() const {
  std::vector<const Stats*> out;
  for (const auto& w : workers_) {
    if (w->server) out.push_back(&w->server->stats());
  }
  return out;
}

}  // namespace dnsp::proxy
