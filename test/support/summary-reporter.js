'use strict';
// Prints the run's closing line in the plain form CI reads: "N passed, N failed, N skipped", after
// one line per skipped test, whose name says which resource was missing.
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    // A suite that fails to load counts as a failure even though it ran no test.
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    for (const file of results.testResults)
      for (const t of file.testResults)
        if (t.status === 'pending' || t.status === 'todo') process.stdout.write(`\nskipped: ${t.fullName}`);
    process.stdout.write(`\n${results.numPassedTests} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
module.exports = SummaryReporter;
