#include "tests/support/cowcheck_runner.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace cow::test {

namespace fs = std::filesystem;

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

int shell_status(int raw) {
  if (raw == -1) return -1;
  if (WIFEXITED(raw)) return WEXITSTATUS(raw);
  if (WIFSIGNALED(raw)) return 128 + WTERMSIG(raw);
  return -1;
}

CommandResult run_cowcheck(const fs::path& dir, const std::string& args, const RunOptions& how) {
  std::string timeout =
      how.timeout_seconds > 0 ? "timeout " + std::to_string(how.timeout_seconds) + " " : "";
  std::string line = "cd '" + dir.string() + "' && " + how.env + timeout +
                     "'" COWCHECK_BINARY "' " + args + " >out.txt 2>" + how.err;
  CommandResult r;
  r.status = shell_status(std::system(line.c_str()));
  r.signalled = r.status > 128;
  r.out = slurp(dir / "out.txt");
  if (how.err == "err.txt") r.err = slurp(dir / "err.txt");
  return r;
}

void CowcheckTest::SetUp() {
  const ::testing::TestInfo* test = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = std::string("cowcheck-") + test->test_suite_name() + "-" + test->name() + "-" +
                     std::to_string(::getpid());
  for (char& c : name)
    if (c == '/') c = '_';  // parameterized tests: "Suite/Name/0"
  dir_ = fs::temp_directory_path() / name;
  fs::remove_all(dir_);
  fs::create_directories(dir_);
}

void CowcheckTest::TearDown() { fs::remove_all(dir_); }

fs::path CowcheckTest::write(const fs::path& name, const std::string& text) {
  fs::create_directories((dir_ / name).parent_path());
  std::ofstream(dir_ / name) << text;
  return dir_ / name;
}

}  // namespace cow::test
