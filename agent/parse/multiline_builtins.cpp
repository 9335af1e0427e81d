// The built-in multiline parsers: container runtimes' split lines (docker,
// cri) and the stack traces of the JVM, CPython, the Go runtime and Ruby,
// each written from what the runtime prints (see the comments), and tested
// with traces the runtimes produced (tests/agent/multiline_builtins_test.cpp).
#include "agent/parse/multiline_parser.hpp"

namespace sluice {

namespace {

using Rules = std::vector<config::MultilineRuleConfig>;

std::unique_ptr<MultilineParser> regex_parser(const char* name, Rules rules) {
  config::Mark at{std::string("<built-in multiline parser ") + name + ">", 0, 0};
  for (auto& r : rules) r.mark = at;
  MultilineParser::Options o;
  o.builtin = true;
  return std::make_unique<MultilineParser>(name, std::move(o), std::move(rules), at);
}

// Throwable.printStackTrace(): "<class>[: <message>]" (after "Exception in
// thread "x" " for an uncaught one, or after a logger's prefix), frames
// "\tat <method>(<source>)", "\t... N more" where frames repeat the
// enclosing trace's, and each cause / suppressed exception as "Caused by: "
// / "\tSuppressed: " plus its own frames, indented one more tab. Class names
// are fully qualified; by convention they end in Exception, Error or
// Throwable (Kotlin, Scala and Groovy print the same).
Rules java_rules() {
  const char* exception = R"((?:^|[\s"'(\[:=])(?:[A-Za-z_$][\w$]*\.)+[\w$]*(?:Exception|Error|Throwable)(?::\s|:?\s*$))";
  return {
      {"start_state", exception, "java_exception", {}},
      {"java_exception, java_frames", R"(^\s+at\s)", "java_frames", {}},
      {"java_exception, java_frames", R"(^\s+\.\.\. \d+ (?:more|common frames omitted)\s*$)", "java_frames", {}},
      {"java_exception, java_frames", R"(^\s*(?:Caused by|Suppressed): )", "java_exception", {}},
  };
}

// CPython's traceback: "Traceback (most recent call last):", then per frame
// '  File "<path>", line N, in <name>' and usually the source line (and from
// 3.11 a line of ^ and ~ under it), "  [Previous line repeated N more
// times]", then "<exception class>[: <message>]" unindented. A chained
// exception follows after a blank line, one of the two chaining sentences
// and another blank line. 3.11's exception groups draw their sub-tracebacks
// with "  + ", "  | " and "+-+---" prefixes.
Rules python_rules() {
  const char* traceback = R"(^Traceback \(most recent call last\):\s*$)";
  return {
      {"start_state", traceback, "python_frames", {}},
      {"start_state", R"(^\s*\+ Exception Group Traceback \(most recent call last\):\s*$)", "python_group", {}},
      {"python_frames", R"(^\s+File ")", "python_frames", {}},
      {"python_frames", R"(^\s{2,}\S)", "python_frames", {}},
      {"python_frames", R"(^(?:[A-Za-z_]\w*\.)*[A-Za-z_]\w*(?::\s.*|:)?$)", "python_exception", {}},
      {"python_exception", R"(^\s*$)", "python_chained", {}},
      {"python_chained",
       R"(^(?:During handling of the above exception, another exception occurred|The above exception was the direct cause of the following exception):\s*$)",
       "python_chain_gap", {}},
      {"python_chain_gap", R"(^\s*$)", "python_chain_gap", {}},
      {"python_chain_gap", traceback, "python_frames", {}},
      {"python_group", R"(^\s*(?:\||\+[-+]))", "python_group", {}},
      {"python_group", R"(^\s+File ")", "python_group", {}},
      {"python_group", R"(^(?:[A-Za-z_]\w*\.)*[A-Za-z_]\w*(?::\s.*|:)?$)", "python_exception", {}},
  };
}

// The Go runtime on a panic: "panic: <value>" (a value's further lines
// indented by a tab; " [recovered]" and "\tpanic: " lines for a panic during
// a panic), or "fatal error: <text>",
// maybe "[signal SIGSEGV: ...]", a blank line, then for each goroutine
// "goroutine N [<state>]:" followed by pairs of "<function>(<args>)" and
// "\t<file>:<line> +0x<pc>", "created by <function>[ in goroutine N]",
// "...additional frames elided...", goroutines separated by blank lines.
// net/http logs "http: panic serving <addr>: <value>" and the goroutine at
// once. `go run` ends with "exit status N".
Rules go_rules() {
  const char* goroutine = R"(^goroutine \d+ (?:[^\[]* )?\[[^\]]+\]:\s*$)";
  return {
      {"start_state", R"(^(?:panic|fatal error): )", "go_panic", {}},
      {"start_state", R"(\bhttp: panic serving )", "go_panic", {}},
      {"go_panic", R"(^\s+\S|^\[signal )", "go_panic", {}},
      {"go_panic", R"(^\s*$)", "go_gap", {}},
      {"go_panic, go_gap", goroutine, "go_frames", {}},
      {"go_frames", R"(^\s+\S)", "go_frames", {}},
      {"go_frames", R"(^created by \S)", "go_frames", {}},
      {"go_frames", R"(^\S+\(.*\)\s*$)", "go_frames", {}},
      {"go_frames", R"(^\.\.\.additional frames elided\.\.\.\s*$)", "go_frames", {}},
      {"go_frames", R"(^\s*$)", "go_gap", {}},
      {"go_frames, go_gap", R"(^exit status \d+\s*$)", "", {}},
  };
}

// Ruby's report of an uncaught exception: "<file>:<line>:in `<method>':
// <message> (<class>)" ('<method>' from Ruby 3.4), then "\tfrom
// <file>:<line>:in `<method>'" per frame and "\t ... N levels..." where
// frames are elided; a cause follows as another "<file>:<line>:in ..." line
// with its frames. Loggers print the frames without "from".
Rules ruby_rules() {
  const char* frame = R"([^\s:]+:\d+:in [`'])";
  return {
      {"start_state", std::string("^") + frame, "ruby_frames", {}},
      {"ruby_frames", std::string(R"(^\s+from )") + frame, "ruby_frames", {}},
      {"ruby_frames", R"(^\s+\.\.\. \d+ levels\.\.\.\s*$)", "ruby_frames", {}},
      {"ruby_frames", std::string(R"(^\s*)") + frame, "ruby_frames", {}},
  };
}

std::unique_ptr<MultilineParser> container_parser(const char* name, MultilineParser::Type type, const char* match,
                                                  const char* key_pattern) {
  MultilineParser::Options o;
  o.type = type;
  o.match_string = match;
  o.key_content = "log";
  o.key_group = "stream";
  o.key_pattern = key_pattern;
  o.builtin = true;
  return std::make_unique<MultilineParser>(name, std::move(o), Rules{},
                                           config::Mark{std::string("<built-in multiline parser ") + name + ">", 0, 0});
}

}  // namespace

std::vector<std::unique_ptr<MultilineParser>> builtin_multiline_parsers() {
  std::vector<std::unique_ptr<MultilineParser>> out;
  // Records a container runtime split: Docker's json-file ends a line's last
  // part with "\n"; CRI marks it F (P for the others) in `_p`.
  out.push_back(container_parser("docker", MultilineParser::Type::EndsWith, "\n", ""));
  out.push_back(container_parser("cri", MultilineParser::Type::Equal, "F", "_p"));
  out.push_back(regex_parser("go", go_rules()));
  out.push_back(regex_parser("java", java_rules()));
  out.push_back(regex_parser("python", python_rules()));
  out.push_back(regex_parser("ruby", ruby_rules()));
  return out;
}

}  // namespace sluice
