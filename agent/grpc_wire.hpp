// gRPC over HTTP/2's small pieces shared by the opentelemetry input and
// output (github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md): a
// message's 5-byte prefix (written and read), grpc-message's percent-encoding,
// status names.
#pragma once
#include <cstdint>
#include <string>
#include <iterator>
#include <optional>
#include <string_view>

namespace sluice::grpc {

// A Length-Prefixed-Message: the compressed flag, the length (4 bytes,
// big-endian), the message.
inline std::string frame(std::string_view message, bool compressed) {
  std::string out;
  out.reserve(message.size() + 5);
  auto n = static_cast<uint32_t>(message.size());
  out += static_cast<char>(compressed ? 1 : 0);
  for (int shift : {24, 16, 8, 0}) out += static_cast<char>((n >> shift) & 0xff);
  out += message;
  return out;
}

// The one message of a unary call's body (OTLP's Export): its compressed
// flag and bytes. nullopt, with why set, when the body isn't exactly one
// Length-Prefixed-Message.
struct Message {
  bool compressed = false;
  std::string_view bytes;
};
inline std::optional<Message> unframe(std::string_view body, std::string& why) {
  if (body.size() < 5) {
    why = "gRPC body of " + std::to_string(body.size()) + " bytes: shorter than a message's 5-byte prefix";
    return std::nullopt;
  }
  auto byte = [&](size_t i) { return static_cast<uint32_t>(static_cast<unsigned char>(body[i])); };
  uint32_t flag = byte(0);
  uint32_t length = byte(1) << 24 | byte(2) << 16 | byte(3) << 8 | byte(4);
  if (flag > 1) {
    why = "gRPC message with compressed flag " + std::to_string(flag) + ": expected 0 or 1";
    return std::nullopt;
  }
  if (body.size() - 5 != length) {
    why = "gRPC message prefix announces " + std::to_string(length) + " bytes, the body holds " +
          std::to_string(body.size() - 5) + ": Export takes exactly one message";
    return std::nullopt;
  }
  return Message{flag == 1, body.substr(5)};
}

// grpc-message's encoding: bytes outside printable ASCII, and '%', as %XX.
inline std::string percent_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (c >= 0x20 && c <= 0x7E && c != '%') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// Its inverse; a '%' not followed by two hex digits stays as it is.
inline std::string percent_decode(std::string_view text) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex(text[i + 1]) >= 0 && hex(text[i + 2]) >= 0) {
      out += static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

// "UNAVAILABLE" for 14, ...; "status N" for a code gRPC doesn't define.
inline std::string status_name(int code) {
  static constexpr std::string_view kNames[] = {
      "OK",           "CANCELLED",     "UNKNOWN",  "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",  "NOT_FOUND",
      "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED",
      "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE",      "DATA_LOSS",          "UNAUTHENTICATED"};
  if (code >= 0 && code < static_cast<int>(std::size(kNames))) return std::string(kNames[code]);
  return "status " + std::to_string(code);
}

}  // namespace sluice::grpc
