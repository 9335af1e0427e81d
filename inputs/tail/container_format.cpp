// Docker json-file and CRI line decoding; see container_format.hpp.
#include "inputs/tail/container_format.hpp"

#include <algorithm>
#include <cstring>

#include "agent/parse/time_format.hpp"
#include "agent/utf8.hpp"

namespace sluice::tail {

namespace {

constexpr int kMaxDepth = 32;

// A forward-only reader over one Docker line; only what json-file writes
// needs to be fast, the rest (attrs objects) is skipped correctly.
class Scanner {
 public:
  explicit Scanner(std::string_view s) : s_(s) {}
  void ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\r' || s_[i_] == '\n')) ++i_;
  }
  bool eat(char c) {
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  char peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }
  bool at_end() const { return i_ == s_.size(); }

  // A string starting at '"': its raw body and whether it holds escapes.
  bool string(std::string_view& raw, bool& escaped) {
    if (!eat('"')) return false;
    size_t start = i_;
    escaped = false;
    while (i_ < s_.size()) {
      char c = s_[i_];
      if (c == '"') {
        raw = s_.substr(start, i_ - start);
        ++i_;
        return true;
      }
      if (c == '\\') {
        escaped = true;
        ++i_;
      }
      ++i_;
    }
    return false;
  }

  bool skip_value(int depth) {
    if (depth > kMaxDepth) return false;
    char c = peek();
    std::string_view raw;
    bool esc = false;
    if (c == '"') return string(raw, esc);
    if (c == '{' || c == '[') return skip_container(depth);
    size_t start = i_;
    while (i_ < s_.size() && std::strchr(",}] \t\r\n", s_[i_]) == nullptr) ++i_;
    return i_ > start;
  }

 private:
  bool skip_container(int depth) {
    char close = s_[i_] == '{' ? '}' : ']';
    bool object = close == '}';
    ++i_;
    ws();
    if (eat(close)) return true;
    while (true) {
      ws();
      if (object) {
        std::string_view raw;
        bool esc = false;
        if (!string(raw, esc)) return false;
        ws();
        if (!eat(':')) return false;
        ws();
      }
      if (!skip_value(depth + 1)) return false;
      ws();
      if (eat(close)) return true;
      if (!eat(',')) return false;
    }
  }

  std::string_view s_;
  size_t i_ = 0;
};

int hex4(std::string_view s, size_t i) {
  if (i + 4 > s.size()) return -1;
  int v = 0;
  for (size_t k = i; k < i + 4; ++k) {
    char c = s[k];
    int d = -1;
    if (c >= '0' && c <= '9') d = c - '0';
    else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
    else return -1;
    v = v * 16 + d;
  }
  return v;
}

// The string as it will live in the record: the raw view when it holds no
// escapes (the line is already in the arena), else decoded into the arena.
std::optional<std::string_view> decoded(std::string_view raw, bool escaped, Arena& arena) {
  if (!escaped) return raw;
  char* dst = static_cast<char*>(arena.allocate(raw.size(), 1));
  auto n = json_unescape(raw, dst);
  if (!n) return std::nullopt;
  return std::string_view(dst, *n);
}

}  // namespace

std::optional<size_t> json_unescape(std::string_view raw, char* dst) {
  size_t o = 0;
  for (size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c != '\\') {
      dst[o++] = c;
      continue;
    }
    if (++i >= raw.size()) return std::nullopt;
    switch (raw[i]) {
      case '"': dst[o++] = '"'; break;
      case '\\': dst[o++] = '\\'; break;
      case '/': dst[o++] = '/'; break;
      case 'b': dst[o++] = '\b'; break;
      case 'f': dst[o++] = '\f'; break;
      case 'n': dst[o++] = '\n'; break;
      case 'r': dst[o++] = '\r'; break;
      case 't': dst[o++] = '\t'; break;
      case 'u': {
        int hi = hex4(raw, i + 1);
        if (hi < 0) return std::nullopt;
        i += 4;
        uint32_t cp = static_cast<uint32_t>(hi);
        if (cp >= 0xD800 && cp <= 0xDBFF && i + 6 < raw.size() && raw[i + 1] == '\\' && raw[i + 2] == 'u') {
          int lo = hex4(raw, i + 3);
          if (lo >= 0xDC00 && lo <= 0xDFFF) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (static_cast<uint32_t>(lo) - 0xDC00);
            i += 6;
          }
        }
        if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;  // a lone surrogate is not valid UTF-8
        o += put_utf8(dst + o, cp);
        break;
      }
      default: return std::nullopt;
    }
  }
  return o;
}

namespace {
// True when the raw JSON string body's text ends in a newline: an escape
// `\n` or `\u000a` whose backslash isn't itself escaped.
bool ends_in_escaped_newline(std::string_view raw) {
  size_t esc;
  if (raw.size() >= 2 && raw.substr(raw.size() - 2) == "\\n") {
    esc = raw.size() - 2;
  } else if (raw.size() >= 6 && (raw.substr(raw.size() - 6) == "\\u000a" || raw.substr(raw.size() - 6) == "\\u000A")) {
    esc = raw.size() - 6;
  } else {
    return false;
  }
  size_t backslashes = 0;
  while (esc > backslashes && raw[esc - backslashes - 1] == '\\') ++backslashes;
  return backslashes % 2 == 0;
}
}  // namespace

std::optional<DockerLogField> find_docker_log(std::string_view line) {
  Scanner sc(line);
  std::optional<DockerLogField> log;
  sc.ws();
  if (!sc.eat('{')) return std::nullopt;
  sc.ws();
  if (sc.eat('}')) return std::nullopt;
  while (true) {
    sc.ws();
    std::string_view key;
    bool key_esc = false;
    if (!sc.string(key, key_esc)) return std::nullopt;
    sc.ws();
    if (!sc.eat(':')) return std::nullopt;
    sc.ws();
    if (key == "log" && sc.peek() == '"') {
      std::string_view raw;
      bool esc = false;
      if (!sc.string(raw, esc)) return std::nullopt;
      auto begin = static_cast<size_t>(raw.data() - line.data());
      log = DockerLogField{begin, begin + raw.size(), ends_in_escaped_newline(raw)};
    } else if (!sc.skip_value(0)) {
      return std::nullopt;
    }
    sc.ws();
    if (sc.eat(',')) continue;
    if (sc.eat('}')) break;
    return std::nullopt;
  }
  sc.ws();
  if (!sc.at_end()) return std::nullopt;
  return log;
}

ContainerDecoder::Result ContainerDecoder::decode(std::string_view line, uint64_t offset, Arena& arena,
                                                  ContainerRecord& out) {
  if (docker_ && !line.empty() && line.front() == '{') return decode_docker(line, offset, arena, out);
  if (cri_) return decode_cri(line, offset, arena, out);
  return Result::Malformed;
}

ContainerDecoder::Result ContainerDecoder::decode_docker(std::string_view line, uint64_t offset, Arena& arena,
                                                         ContainerRecord& out) {
  Scanner sc(line);
  std::string_view raw[3];  // log, stream, time
  bool esc[3] = {false, false, false};
  bool found[3] = {false, false, false};
  sc.ws();
  if (!sc.eat('{')) return Result::Malformed;
  sc.ws();
  if (!sc.eat('}')) {
    while (true) {
      sc.ws();
      std::string_view key;
      bool key_esc = false;
      if (!sc.string(key, key_esc)) return Result::Malformed;
      sc.ws();
      if (!sc.eat(':')) return Result::Malformed;
      sc.ws();
      int slot = key == "log" ? 0 : key == "stream" ? 1 : key == "time" ? 2 : -1;
      if (slot >= 0 && sc.peek() == '"') {
        if (!sc.string(raw[slot], esc[slot])) return Result::Malformed;
        found[slot] = true;
      } else if (!sc.skip_value(0)) {
        return Result::Malformed;
      }
      sc.ws();
      if (sc.eat(',')) continue;
      if (sc.eat('}')) break;
      return Result::Malformed;
    }
  }
  sc.ws();
  if (!sc.at_end() || !found[0]) return Result::Malformed;
  ContainerRecord part;
  part.kind = ContainerKind::Docker;
  part.offset = offset;
  std::string_view* fields[3] = {&part.log, &part.stream, &part.time};
  for (int k = 0; k < 3; ++k) {
    if (!found[k]) continue;
    auto v = decoded(raw[k], esc[k], arena);
    if (!v) return Result::Malformed;
    *fields[k] = *v;
  }
  bool final_part = !part.log.empty() && part.log.back() == '\n';
  if (final_part) part.log.remove_suffix(1);
  part.time_ns = timefmt::parse_rfc3339(part.time);
  return join(part, final_part, arena, out);
}

ContainerDecoder::Result ContainerDecoder::decode_cri(std::string_view line, uint64_t offset, Arena& arena,
                                                      ContainerRecord& out) {
  size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos) return Result::Malformed;
  ContainerRecord part;
  part.kind = ContainerKind::Cri;
  part.offset = offset;
  part.time = line.substr(0, sp1);
  part.time_ns = timefmt::parse_rfc3339(part.time);
  if (!part.time_ns) return Result::Malformed;
  std::string_view rest = line.substr(sp1 + 1);
  size_t sp2 = rest.find(' ');
  if (sp2 == std::string_view::npos) return Result::Malformed;
  part.stream = rest.substr(0, sp2);
  if (part.stream != "stdout" && part.stream != "stderr") return Result::Malformed;
  rest.remove_prefix(sp2 + 1);
  size_t sp3 = rest.find(' ');
  std::string_view tags = rest.substr(0, sp3);
  part.log = sp3 == std::string_view::npos ? std::string_view() : rest.substr(sp3 + 1);
  // The tag field may carry more ':'-separated tags after P/F.
  std::string_view flag = tags.substr(0, tags.find(':'));
  if (flag != "P" && flag != "F") return Result::Malformed;
  return join(part, flag == "F", arena, out);
}

ContainerDecoder::Result ContainerDecoder::join(ContainerRecord& part, bool final_part, Arena& arena,
                                               ContainerRecord& out) {
  auto it = std::find_if(pending_.begin(), pending_.end(),
                         [&](const Pending& p) { return p.kind == part.kind && p.stream == part.stream; });
  if (!final_part) {
    if (it != pending_.end() && it->text.size() + part.log.size() > max_joined_) {
      // A runaway partial sequence: hand out what is held, start over.
      ++cuts_;
      out.partial = true;
      out.kind = it->kind;
      out.log = arena.copy(it->text);
      out.stream = arena.copy(it->stream);
      out.time = arena.copy(it->time);
      out.time_ns = timefmt::parse_rfc3339(out.time);
      out.offset = it->offset;
      it->text.assign(part.log);
      it->time.assign(part.time);
      it->offset = part.offset;
      return Result::Record;
    }
    if (it == pending_.end()) {
      pending_.push_back({part.kind, std::string(part.stream), std::string(part.time), {}, part.offset});
      it = pending_.end() - 1;
    }
    it->text.append(part.log);
    return Result::Partial;
  }
  out = part;
  if (it != pending_.end()) {
    size_t n = it->text.size() + part.log.size();
    char* joined = static_cast<char*>(arena.allocate(n, 1));
    std::memcpy(joined, it->text.data(), it->text.size());
    std::memcpy(joined + it->text.size(), part.log.data(), part.log.size());
    out.log = std::string_view(joined, n);
    out.offset = it->offset;
    out.time = arena.copy(it->time);  // a joined line is stamped by its first part
    out.time_ns = timefmt::parse_rfc3339(out.time);
    pending_.erase(it);
  }
  return Result::Record;
}

std::optional<uint64_t> ContainerDecoder::pending_start() const {
  std::optional<uint64_t> oldest;
  for (const auto& p : pending_) {
    if (!oldest || p.offset < *oldest) oldest = p.offset;
  }
  return oldest;
}

bool ContainerDecoder::flush_one(Arena& arena, ContainerRecord& out) {
  if (pending_.empty()) return false;
  Pending& p = pending_.front();
  out.kind = p.kind;
  out.partial = true;
  out.log = arena.copy(p.text);
  out.stream = arena.copy(p.stream);
  out.time = arena.copy(p.time);
  out.time_ns = timefmt::parse_rfc3339(out.time);
  out.offset = p.offset;
  pending_.erase(pending_.begin());
  return true;
}

}  // namespace sluice::tail
