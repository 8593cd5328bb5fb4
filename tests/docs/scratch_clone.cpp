#include "scratch_clone.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "tests/support/cowcheck_runner.h"

namespace cowcheck::docs {
namespace {

namespace fs = std::filesystem;

using cow::test::shell_status;
using cow::test::slurp;

// Runs a shell line and returns its standard output; throws, with what it
// printed, when it fails.
std::string must(const std::string& line, const fs::path& dir, const std::string& what) {
  const fs::path out = dir / "setup.out";
  const fs::path err = dir / "setup.err";
  int status = shell_status(
      std::system((line + " >'" + out.string() + "' 2>'" + err.string() + "'").c_str()));
  if (status != 0) throw std::runtime_error(what + " failed (" + line + "): " + slurp(err));
  return slurp(out);
}

}  // namespace

ScratchClone::ScratchClone(const fs::path& source, const fs::path& binary_dir) {
  std::string pattern = (fs::temp_directory_path() / "cowcheck-docs-XXXXXX").string();
  if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp " + pattern + " failed");
  dir_ = pattern;
  // A constructor that throws runs no destructor: remove the folder here.
  try {
    set_up(source, binary_dir);
  } catch (...) {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
    throw;
  }
}

void ScratchClone::set_up(const fs::path& source, const fs::path& binary_dir) {
  tree_ = dir_ / "clone";
  home_ = dir_ / "home";
  fs::create_directories(tree_);
  fs::create_directories(home_);
  // Tracked files only: a build folder or a stray file of the developer's
  // tree must not make a documented command pass.
  std::istringstream files(must("git -C '" + source.string() + "' ls-files -z", dir_,
                                "listing the tracked files of " + source.string()));
  std::string name;
  while (std::getline(files, name, '\0')) {
    fs::path from = source / name;
    if (!fs::exists(fs::symlink_status(from))) continue;  // deleted in the working tree
    fs::create_directories((tree_ / name).parent_path());
    fs::copy(from, tree_ / name, fs::copy_options::copy_symlinks);
  }

  const std::string git =
      "git -C '" + tree_.string() + "' -c user.name=docs -c user.email=docs@test ";
  must(git + "init -q", dir_, "git init");
  must(git + "add -A", dir_, "git add");
  must(git + "commit -q --no-verify -m 'the tracked files'", dir_, "git commit");
  fs::create_directory_symlink(binary_dir, tree_ / "build");
  std::ofstream(tree_ / ".git" / "info" / "exclude", std::ios::app) << "/build\n";
}

ScratchClone::~ScratchClone() {
  std::error_code ignored;
  fs::remove_all(dir_, ignored);
}

CommandResult ScratchClone::run(const std::string& command) const {
  const fs::path script = dir_ / "command.sh";
  const fs::path output = dir_ / "command.out";
  std::ofstream(script, std::ios::trunc) << command << "\n";
  std::string line = "cd '" + tree_.string() + "' && HOME='" + home_.string() + "' bash '" +
                     script.string() + "' </dev/null >'" + output.string() + "' 2>&1";
  int status = shell_status(std::system(line.c_str()));
  return {status, slurp(output)};
}

std::string ScratchClone::changes() const {
  return must("git -C '" + tree_.string() + "' status --porcelain", dir_, "git status");
}

}  // namespace cowcheck::docs
