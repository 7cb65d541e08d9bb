#include "proxy/dnstap/writer.h"

#include <fstrm.h>

#include <future>
#include <thread>

namespace dnsp::proxy::dnstap {

namespace {

// Runs on the I/O thread once a queued message was written (or discarded).
void free_payload(void* /*data*/, void* held) { delete static_cast<std::vector<uint8_t>*>(held); }

// Each fstrm_*_options object, destroyed with its own function.
template <class T, void (*Destroy)(T**)>
struct Owned {
  T* p;
  ~Owned() { Destroy(&p); }
};

}  // namespace

std::unique_ptr<Writer> Writer::start(const config::DnstapSettings& settings, size_t loops,
                                      std::string& error) {
  std::unique_ptr<Writer> w(new Writer());
  Owned<fstrm_writer_options, fstrm_writer_options_destroy> wopt{fstrm_writer_options_init()};
  fstrm_writer_options_add_content_type(wopt.p, kContentType, sizeof kContentType - 1);
  fstrm_writer* writer = nullptr;
  if (!settings.socket.empty()) {
    w->destination_ = "unix:" + settings.socket;
    Owned<fstrm_unix_writer_options, fstrm_unix_writer_options_destroy> uopt{
        fstrm_unix_writer_options_init()};
    fstrm_unix_writer_options_set_socket_path(uopt.p, settings.socket.c_str());
    writer = fstrm_unix_writer_init(uopt.p, wopt.p);
  } else if (settings.tcp) {
    w->destination_ = "tcp:" + config::to_string(*settings.tcp);
    Owned<fstrm_tcp_writer_options, fstrm_tcp_writer_options_destroy> topt{
        fstrm_tcp_writer_options_init()};
    fstrm_tcp_writer_options_set_socket_address(topt.p, settings.tcp->address.c_str());
    fstrm_tcp_writer_options_set_socket_port(topt.p, std::to_string(settings.tcp->port).c_str());
    writer = fstrm_tcp_writer_init(topt.p, wopt.p);
  } else {
    error = "[dnstap]: neither socket nor tcp is set";
    return nullptr;
  }
  if (writer == nullptr) {
    error = "[dnstap]: libfstrm cannot write to " + w->destination_;
    return nullptr;
  }
  Owned<fstrm_iothr_options, fstrm_iothr_options_destroy> iopt{fstrm_iothr_options_init()};
  fstrm_iothr_options_set_num_input_queues(iopt.p, static_cast<unsigned>(loops));
  fstrm_iothr_options_set_input_queue_size(iopt.p, kQueueSize);
  fstrm_iothr_options_set_queue_model(iopt.p, FSTRM_IOTHR_QUEUE_MODEL_SPSC);
  fstrm_iothr_options_set_reopen_interval(iopt.p, kReopenSeconds);
  w->iothr_ = fstrm_iothr_init(iopt.p, &writer);  // takes the writer
  if (w->iothr_ == nullptr) {
    if (writer != nullptr) fstrm_writer_destroy(&writer);
    error = "[dnstap]: libfstrm cannot start its I/O thread for " + w->destination_;
    return nullptr;
  }
  for (size_t i = 0; i < loops; ++i) {
    w->queues_.push_back(fstrm_iothr_get_input_queue_idx(w->iothr_, i));
  }
  return w;
}

Writer::~Writer() {
  if (iothr_ != nullptr) close(kCloseWait);
}

bool Writer::submit(size_t loop, std::vector<uint8_t> payload) {
  if (iothr_ == nullptr || loop >= queues_.size() || payload.empty()) return false;
  auto* held = new std::vector<uint8_t>(std::move(payload));
  const fstrm_res res =
      fstrm_iothr_submit(iothr_, queues_[loop], held->data(), held->size(), free_payload, held);
  if (res == fstrm_res_success) return true;
  delete held;  // fstrm_res_again: the queue is full
  return false;
}

bool Writer::close(std::chrono::milliseconds wait) {
  if (iothr_ == nullptr) return true;
  fstrm_iothr* iothr = iothr_;
  iothr_ = nullptr;
  queues_.clear();
  std::promise<void> done;
  std::future<void> ended = done.get_future();
  std::thread([iothr, done = std::move(done)]() mutable {
    fstrm_iothr_destroy(&iothr);  // flushes, closes, joins the I/O thread
    done.set_value();
  }).detach();
  return ended.wait_for(wait) == std::future_status::ready;
}

}  // namespace dnsp::proxy::dnstap
