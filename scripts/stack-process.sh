# Starting, recognising and stopping the stack's server processes. Sourced by scripts/stack, and
# by tests/infrastructure/test_stack_startup.py, which runs the start-up protocol many times under
# CPU load.
# shellcheck shell=bash

# Starts `CMD…` in the background so that the pid in PIDFILE is the server's own from the first
# moment: the background subshell execs the command, so no other process ever sits at that pid.
# SIGHUP is ignored (as nohup would) so that a closed terminal does not stop the stack.
spawn() { # PIDFILE LOGFILE CMD…
    local pidfile=$1 logfile=$2
    shift 2
    (
        trap '' HUP
        exec "$@" >>"$logfile" 2>&1 </dev/null
    ) &
    echo $! >"$pidfile"
}

pid_in() { # PIDFILE → the pid it names, or nothing
    [ -f "$1" ] && head -c 32 "$1" | tr -cd '0-9'
}

# Whether PID is a live process (a zombie is dead: it only waits to be reaped).
alive() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) } # the command name may hold spaces and parentheses; the state follows it
    [ "${stat:0:1}" != Z ]
}

# A pid file names a live process of ours only if the process's command line shows the marker
# we started it with: a recycled pid never makes us stop or trust someone else's process.
running() { # PIDFILE MARKER
    local pid
    pid=$(pid_in "$1")
    [ -n "$pid" ] && alive "$pid" || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$2"
}

# During this script's own start-up of a server, a process that still lacks the marker is ours if
# it is our own live child: between fork and exec it shows this shell's command line, not the
# server's. A recycled pid is never our child.
starting() { # PIDFILE MARKER
    local pid
    running "$1" "$2" && return 0
    pid=$(pid_in "$1")
    [ -n "$pid" ] && alive "$pid" || return 1
    [ "$(awk '/^PPid:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)" = "$$" ]
}

port_open() { # PORT
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Waits until PORT accepts connections. While it does not, the process must still be starting;
# once it does, the process must carry its marker (else the port is someone else's).
wait_until_serving() { # NAME PORT PIDFILE MARKER LOGFILE SECONDS
    local name=$1 port=$2 pidfile=$3 marker=$4 logfile=$5 deadline=$((SECONDS + $6))
    until port_open "$port"; do
        if ! starting "$pidfile" "$marker"; then
            tail -n 30 "$logfile" >&2 2>/dev/null || true
            die "$name exited during start-up; log: $logfile"
        fi
        [ "$SECONDS" -lt "$deadline" ] || die "$name did not open port $port in time; log: $logfile"
        sleep 0.2
    done
    running "$pidfile" "$marker" || die "port $port answers, but not as the $name this stack started"
}

# Stops the process PIDFILE names if it is ours (by marker, or as our own child still starting),
# first with SIGNAL, then with SIGKILL after WAIT seconds.
stop_process() { # NAME PIDFILE MARKER SIGNAL WAIT
    local name=$1 pidfile=$2 marker=$3 signal=$4 wait=$5 pid
    if starting "$pidfile" "$marker"; then
        pid=$(pid_in "$pidfile")
        log "stopping $name (pid $pid)"
        kill "-$signal" "$pid" 2>/dev/null || true
        for _ in $(seq 1 $((wait * 5))); do
            alive "$pid" || break
            sleep 0.2
        done
        if alive "$pid"; then
            log "$name did not stop in $wait s; killing"
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    rm -f "$pidfile"
}
