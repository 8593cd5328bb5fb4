// A fuzzing driver of our own, for builds without libFuzzer (gcc, CI): runs
// every file of the corpus through LLVMFuzzerTestOneInput, then --runs inputs
// made by mutating corpus files with a fixed seed, so a ctest run is the same
// short, reproducible campaign every time. A failure is the sanitizer's
// report or the target's abort; the input that caused it is written to
// fuzz-crash.bin in the working directory as the process dies.
//
//   parse_fuzz [--runs N] [--seed S] [--max-len BYTES] CORPUS_DIR_OR_FILE...
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#define FUZZ_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FUZZ_SANITIZED 1
#endif
#endif
#ifdef FUZZ_SANITIZED
#include <sanitizer/common_interface_defs.h>
#endif

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Byte-level mutations in the manner of libFuzzer's: flip, replace, insert,
// erase, duplicate a span, splice in another input, and the bytes a text
// format cares about (digits, blanks, newlines, quotes, '#', huge numbers).
class Mutator {
 public:
  Mutator(std::uint64_t seed, const std::vector<Bytes>& corpus, std::size_t max_len)
      : rng_(seed), corpus_(corpus), max_len_(max_len) {}

  Bytes next() {
    Bytes input = corpus_.empty() ? Bytes{} : corpus_[pick(corpus_.size())];
    int rounds = 1 + static_cast<int>(pick(8));
    for (int i = 0; i < rounds; ++i) mutate(input);
    if (input.size() > max_len_) input.resize(max_len_);
    return input;
  }

 private:
  std::size_t pick(std::size_t n) {
    return n == 0 ? 0 : std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_);
  }

  void insert(Bytes& b, std::string_view text) {
    b.insert(b.begin() + static_cast<std::ptrdiff_t>(pick(b.size() + 1)), text.begin(), text.end());
  }

  void mutate(Bytes& b) {
    static constexpr std::string_view kTokens[] = {"\n",
                                                   " ",
                                                   "\t",
                                                   "\r",
                                                   "#",
                                                   "\"",
                                                   "\\",
                                                   "=",
                                                   "0",
                                                   "1",
                                                   "4294967295",
                                                   "4294967296",
                                                   "-1",
                                                   "99999999999999999999",
                                                   "fork 1\n",
                                                   "write 1 0 1\n",
                                                   "impl ",
                                                   "config ",
                                                   "invariant ",
                                                   "pages=",
                                                   "frames=",
                                                   "policy=",
                                                   "oom=",
                                                   "plugin:",
                                                   "\"plugin:a b/#x.so\"",
                                                   "cowcheck 1\n",
                                                   "mmap 1 0 2 ",
                                                   "pin 1 0",
                                                   "\x00",
                                                   "\x1b[31m",
                                                   "\xff",
                                                   "\xc2\x9b",
                                                   "vfork 1\n",
                                                   "exec 2\n"};
    switch (pick(9)) {
      case 0:
        if (!b.empty()) b[pick(b.size())] ^= static_cast<std::uint8_t>(1u << pick(8));
        break;
      case 1:
        if (!b.empty()) b[pick(b.size())] = static_cast<std::uint8_t>(pick(256));
        break;
      case 2:
        b.insert(b.begin() + static_cast<std::ptrdiff_t>(pick(b.size() + 1)),
                 static_cast<std::uint8_t>(pick(256)));
        break;
      case 3:
        if (!b.empty()) {
          std::size_t at = pick(b.size()), n = 1 + pick(std::min<std::size_t>(16, b.size() - at));
          b.erase(b.begin() + static_cast<std::ptrdiff_t>(at),
                  b.begin() + static_cast<std::ptrdiff_t>(at + n));
        }
        break;
      case 4:
      case 5: {
        std::string_view token = kTokens[pick(std::size(kTokens))];
        if (token.empty()) token = std::string_view("\0", 1);
        insert(b, token);
        break;
      }
      case 6:
        if (!b.empty()) {  // duplicate a span: long lines, repeated keys
          std::size_t at = pick(b.size()), n = 1 + pick(std::min<std::size_t>(64, b.size() - at));
          Bytes span(b.begin() + static_cast<std::ptrdiff_t>(at),
                     b.begin() + static_cast<std::ptrdiff_t>(at + n));
          std::size_t to = pick(b.size() + 1);
          for (std::size_t k = 1 + pick(4); k > 0; --k)
            b.insert(b.begin() + static_cast<std::ptrdiff_t>(to), span.begin(), span.end());
        }
        break;
      case 7:
        if (!corpus_.empty()) {  // splice: the head of this input, the tail of another
          const Bytes& other = corpus_[pick(corpus_.size())];
          b.resize(pick(b.size() + 1));
          b.insert(b.end(), other.begin() + static_cast<std::ptrdiff_t>(pick(other.size() + 1)),
                   other.end());
        }
        break;
      case 8:
        if (!b.empty()) {  // swap two bytes: reorders lines and words
          std::swap(b[pick(b.size())], b[pick(b.size())]);
        }
        break;
    }
  }

  std::mt19937_64 rng_;
  const std::vector<Bytes>& corpus_;
  std::size_t max_len_;
};

// The input being run, so a dying process can leave it behind.
const Bytes* current = nullptr;

void save_current() {
  if (!current) return;
  int fd = ::open("fuzz-crash.bin", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return;
  if (::write(fd, current->data(), current->size()) < 0) {
  }
  ::close(fd);
  current = nullptr;
}

void on_fatal_signal(int signal) {
  save_current();
  std::signal(signal, SIG_DFL);
  std::raise(signal);
}

void keep_failing_inputs() {
  for (int signal : {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL})
    std::signal(signal, on_fatal_signal);
#ifdef FUZZ_SANITIZED
  __sanitizer_set_death_callback(save_current);
#endif
}

int usage() {
  std::cerr << "usage: FUZZ_TARGET [--runs N] [--seed S] [--max-len BYTES] CORPUS_DIR_OR_FILE...\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t runs = 10000, seed = 1;
  std::size_t max_len = 4096;
  std::vector<std::filesystem::path> paths;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::uint64_t {
      if (i + 1 >= argc) std::exit(usage());
      char* end = nullptr;
      std::uint64_t v = std::strtoull(argv[++i], &end, 10);
      if (*end != '\0' || argv[i][0] == '-') std::exit(usage());
      return v;
    };
    if (arg == "--runs")
      runs = value();
    else if (arg == "--seed")
      seed = value();
    else if (arg == "--max-len")
      max_len = value();
    else if (arg.starts_with("--"))
      return usage();
    else
      paths.emplace_back(arg);
  }
  std::vector<Bytes> corpus;
  for (const auto& path : paths) {
    if (std::filesystem::is_directory(path)) {
      std::vector<std::filesystem::path> files;
      for (const auto& entry : std::filesystem::directory_iterator(path))
        if (entry.is_regular_file()) files.push_back(entry.path());
      std::sort(files.begin(), files.end());  // the same order, the same run
      for (const auto& file : files) corpus.push_back(read_file(file));
    } else {
      corpus.push_back(read_file(path));
    }
  }
  if (corpus.empty()) {
    std::cerr << "no corpus files\n";
    return 2;
  }
  keep_failing_inputs();
  for (const Bytes& input : corpus) {
    current = &input;
    LLVMFuzzerTestOneInput(input.data(), input.size());
  }
  Mutator mutator(seed, corpus, max_len);
  for (std::uint64_t run = 0; run < runs; ++run) {
    Bytes input = mutator.next();
    if (run % 1000000 == 0 && run > 0) std::cerr << "fuzz: " << run << " runs\n";
    current = &input;
    LLVMFuzzerTestOneInput(input.data(), input.size());
  }
  current = nullptr;
  std::cout << "fuzz: " << corpus.size() << " corpus files and " << runs << " mutated inputs (seed "
            << seed << "), no failure\n";
  return 0;
}
