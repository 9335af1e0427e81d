// The `syslog` input; see syslog_input.hpp. Wires the settings, the shared
// receiver and the listener of the configured mode together.
#include "inputs/syslog/syslog_input.hpp"

#include "agent/log.hpp"
#include "inputs/syslog/syslog_receiver.hpp"
#include "inputs/syslog/syslog_settings.hpp"
#include "inputs/syslog/syslog_stream.hpp"
#include "inputs/syslog/syslog_udp.hpp"

namespace sluice {

namespace {

// Runs on the main io_context; the receiver and listener it starts keep
// themselves alive through their pending handlers until stop() closes them.
class SyslogInput final : public Input {
 public:
  SyslogInput(syslog::SyslogSettings settings, std::shared_ptr<syslog::TlsContext> tls)
      : settings_(std::move(settings)), tls_(std::move(tls)) {}
  ~SyslogInput() override { stop(); }

  void start(InputContext& ctx) override {
    rx_ = std::make_shared<syslog::Receiver>(settings_, ctx);
    listener_ = settings_.stream() ? syslog::start_stream_listener(rx_, tls_) : syslog::start_datagram_listener(rx_);
  }

  // What the kernel already queued (and TCP acknowledged) is read and
  // emitted before the sockets close.
  void stop() override {
    if (listener_) listener_->drain();
    if (rx_) rx_->stop();
    if (listener_) listener_->stop();
    listener_.reset();
    rx_.reset();
  }

 private:
  syslog::SyslogSettings settings_;
  std::shared_ptr<syslog::TlsContext> tls_;
  std::shared_ptr<syslog::Receiver> rx_;
  std::shared_ptr<syslog::Listener> listener_;
};

}  // namespace

std::unique_ptr<Input> make_syslog_input(const config::ComponentConfig& cfg, const BuildContext& ctx) {
  return make_listener_input(syslog::make_settings(cfg, ctx), cfg);
}

std::unique_ptr<Input> make_listener_input(syslog::SyslogSettings settings, const config::ComponentConfig& cfg) {
  std::shared_ptr<syslog::TlsContext> tls;
  if (settings.tls.enabled) {
    std::string key, error;
    tls = syslog::make_tls_context(settings.tls, key, error);
    if (!tls) cfg.fail(key, "TLS: " + error);
  }
  return std::make_unique<SyslogInput>(std::move(settings), std::move(tls));
}

}  // namespace sluice
