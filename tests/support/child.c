#define _GNU_SOURCE
#include "tests/support/child.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/support/emulator.h"

pid_t child_start(const struct child_env *e, const char *command)
{
    static const char binary[] = SHEETSYNC_BINARY_DIR "/sheetsync";
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid > 0)
        return pid;
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    int fd = open(e->log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, 2);
    setenv("SHEETSYNC_DB", e->db, 1);
    setenv("SHEETSYNC_PORT", "0", 1);
    setenv("SHEETSYNC_SPREADSHEET_ID", "demo-sheet", 1);
    setenv("SHEETSYNC_SHEET", "Issues", 1);
    setenv("GOOGLE_APPLICATION_CREDENTIALS", e->key_path, 1);
    setenv("SHEETSYNC_SHEETS_API_URL", e->api_base, 1);
    setenv("SHEETSYNC_RECONCILE_SECONDS", "0", 1);
    setenv("SHEETSYNC_LOG_LEVEL", "info", 1);
    unsetenv("SHEETSYNC_CONFIG");
    for (const char *const *kv = e->extra; kv && *kv; kv++)
        putenv((char *)*kv);
    execl(binary, binary, command, (char *)NULL);
    _exit(127);
}

unsigned child_wait_port(pid_t child, const char *log)
{
    static const char mark[] = "listening on http://127.0.0.1:";
    unsigned port = 0;
    for (int i = 0; i < 400 && !port; i++) {
        char *text = emu_slurp(log, NULL);
        const char *p = text ? strstr(text, mark) : NULL;
        if (p)
            port = (unsigned)atoi(p + strlen(mark));
        free(text);
        cr_assert_eq(waitpid(child, NULL, WNOHANG), 0, "sheetsync serve exited at start");
        if (!port)
            usleep(25000);
    }
    cr_assert(port, "sheetsync serve logged no port");
    return port;
}
