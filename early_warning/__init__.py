"""Early warning: rules over every source, evaluated along time, raising CAP
1.2 warnings with a lifecycle (Alert, Update, Cancel). The situation service
runs it; ``python -m early_warning replay`` evaluates a scenario's timeline."""
