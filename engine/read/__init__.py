"""What pages and the API show: item and task shapes, the inbox, progress, the resident's portal,
printouts, the consistency check. Reads; the resident's rating is its one command."""
