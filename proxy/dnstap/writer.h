// The dnstap writer: Frame Streams (libfstrm) to one collector on a Unix socket or TCP,
// from one I/O thread of libfstrm's own (fstrm_iothr) with one bounded input queue per
// event loop. Handing a message over never blocks: a full queue drops it (the caller
// counts it). The I/O thread connects, and reconnects after the collector went away, by
// itself. The messages are message.h's bytes.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"

struct fstrm_iothr;
struct fstrm_iothr_queue;

namespace dnsp::proxy::dnstap {

// The Frame Streams content type of dnstap (dnstap.info, and what fstrm_capture -t and
// dnstap-read expect).
inline constexpr char kContentType[] = "protobuf:dnstap.Dnstap";
// Messages each event loop's queue holds for the I/O thread (libfstrm's default; a power of
// two): past it, new messages are dropped until the I/O thread catches up.
inline constexpr unsigned kQueueSize = 512;
// Seconds between two attempts to connect to a collector that is not there.
inline constexpr unsigned kReopenSeconds = 1;

class Writer {
 public:
  // Starts the I/O thread with `loops` input queues (one per event loop); it connects in
  // the background, so a collector that is not running yet is no error. nullptr with
  // `error` set when libfstrm refuses the settings.
  static std::unique_ptr<Writer> start(const config::DnstapSettings& settings, size_t loops,
                                       std::string& error);
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;
  ~Writer();  // close(kCloseWait) unless closed

  // Queues `payload` (one dnstap.Dnstap) on event loop `loop`'s queue, which only that
  // loop's thread may use (single producer). False when the queue is full: the message is
  // dropped. Never blocks.
  bool submit(size_t loop, std::vector<uint8_t> payload);

  // Writes what is queued, closes the connection and ends the I/O thread, waiting at most
  // `wait`: libfstrm writes with blocking calls, so a collector that stopped reading would
  // hold the thread (and a plain destroy) forever. True when it ended in time; otherwise
  // the thread is left to the end of the process.
  bool close(std::chrono::milliseconds wait);
  static constexpr std::chrono::milliseconds kCloseWait{2000};

  // "unix:/run/dnstap.sock" or "tcp:127.0.0.1:6000", for logs.
  const std::string& destination() const { return destination_; }

 private:
  Writer() = default;
  fstrm_iothr* iothr_ = nullptr;
  std::vector<fstrm_iothr_queue*> queues_;
  std::string destination_;
};

}  // namespace dnsp::proxy::dnstap
