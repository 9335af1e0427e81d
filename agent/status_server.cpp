// The built-in HTTP status server; see status_server.hpp.
#include "agent/status_server.hpp"

#include "agent/asio.hpp"
#include "agent/config/component_config.hpp"
#include "agent/log.hpp"

namespace sluice {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

struct StatusServer::Impl : std::enable_shared_from_this<StatusServer::Impl> {
  Impl(asio::io_context& io, const Metrics& m, std::function<std::string()> h)
      : acceptor(io), metrics(m), health(std::move(h)), started(std::chrono::steady_clock::now()) {}

  void accept() {
    acceptor.async_accept([self = shared_from_this()](boost::system::error_code ec, tcp::socket socket) {
      if (ec) return;  // stopped
      self->serve(std::make_shared<tcp::socket>(std::move(socket)));
      self->accept();
    });
  }

  void serve(std::shared_ptr<tcp::socket> socket) {
    auto buf = std::make_shared<std::string>();
    auto timer = std::make_shared<asio::steady_timer>(acceptor.get_executor(), std::chrono::seconds(5));
    timer->async_wait([socket](boost::system::error_code ec) {
      if (!ec) socket->close();  // a client that never finishes its request
    });
    asio::async_read_until(*socket, asio::dynamic_buffer(*buf, 8192), "\r\n\r\n",
                           [self = shared_from_this(), socket, buf, timer](boost::system::error_code ec, size_t) {
                             timer->cancel();
                             if (ec) return;
                             self->respond(socket, *buf);
                           });
  }

  void respond(const std::shared_ptr<tcp::socket>& socket, const std::string& request) {
    std::string path;
    size_t sp = request.find(' ');
    if (sp != std::string::npos) path = request.substr(sp + 1, request.find(' ', sp + 1) - sp - 1);
    std::string body, type = "application/json", status = "200 OK";
    if (path == "/api/v1/health") {
      body = health();
    } else if (path == "/api/v1/metrics" || path == "/api/v1/metrics/prometheus") {
      body = metrics.prometheus_text();
      type = "text/plain; version=0.0.4";
    } else if (path == "/api/v1/uptime") {
      auto secs = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started).count();
      body = "{\"uptime_sec\":" + std::to_string(secs) + "}";
    } else {
      status = "404 Not Found";
      body = "{\"error\":\"not found\"}";
    }
    auto out = std::make_shared<std::string>("HTTP/1.1 " + status + "\r\nContent-Type: " + type +
                                             "\r\nContent-Length: " + std::to_string(body.size()) +
                                             "\r\nConnection: close\r\n\r\n" + body);
    asio::async_write(*socket, asio::buffer(*out), [socket, out](boost::system::error_code, size_t) {
      boost::system::error_code ignored;
      socket->shutdown(tcp::socket::shutdown_both, ignored);
    });
  }

  tcp::acceptor acceptor;
  const Metrics& metrics;
  std::function<std::string()> health;
  std::chrono::steady_clock::time_point started;
};

StatusServer::StatusServer(asio::io_context& io, const std::string& address, uint16_t port, const Metrics& metrics,
                           std::function<std::string()> health)
    : impl_(std::make_shared<Impl>(io, metrics, std::move(health))) {
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(address, ec);
  if (ec) throw config::ConfigError("service.http_listen: not an IP address: '" + address + "'");
  tcp::endpoint ep(addr, port);
  impl_->acceptor.open(ep.protocol(), ec);
  if (!ec) impl_->acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) impl_->acceptor.bind(ep, ec);
  if (!ec) impl_->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    throw config::ConfigError("service.http_server: cannot listen on " + address + ":" + std::to_string(port) + ": " +
                              ec.message());
}

StatusServer::~StatusServer() { stop(); }
void StatusServer::start() {
  log::info("HTTP server listening on {}:{}", impl_->acceptor.local_endpoint().address().to_string(), port());
  impl_->accept();
}
void StatusServer::stop() {
  boost::system::error_code ignored;
  impl_->acceptor.close(ignored);
}
uint16_t StatusServer::port() const { return impl_->acceptor.local_endpoint().port(); }

}  // namespace sluice
