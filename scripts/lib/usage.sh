# usage.sh - the help and argument checks the course's scripts share (sourced).
# shellcheck shell=bash
#
# usage_check SCRIPT [ARG...]: -h or --help among the arguments prints
# SCRIPT's header comment (its lines after the #! line, up to the first line
# that is not a comment) and exits 0; any other argument that starts with
# '-' is refused with exit 2, naming it. For scripts whose arguments are all
# positional: an option they do not know must never be taken for a lab, a
# count or a folder.
usage_check() {
    local script=$1 arg
    shift
    for arg in "$@"; do
        case "$arg" in
        -h | --help)
            awk 'NR == 1 { next } !/^#/ { exit } { sub(/^# ?/, ""); print }' "$script"
            exit 0
            ;;
        -*)
            echo "$(basename "$script"): unknown option '$arg' (--help prints the usage)" >&2
            exit 2
            ;;
        esac
    done
}

# usage_count NAME VALUE: VALUE must be a whole number of at least 1, else
# exit 2 naming NAME.
usage_count() {
    case "$2" in
    '' | *[!0-9]* | 0)
        echo "$(basename "$0"): $1 must be a whole number of at least 1, not '$2'" >&2
        exit 2
        ;;
    esac
}

# usage_lab LAB: print the folder name of lab LAB ("01" -> "01-pipes"), or
# exit 2 naming it when the course has no such lab.
usage_lab() {
    local d
    for d in "$ROOT"/labs/"$1"-*; do
        [ -d "$d" ] && {
            basename "$d"
            return
        }
    done
    echo "$(basename "$0"): no lab '$1' under labs/ (a number such as 01)" >&2
    exit 2
}
