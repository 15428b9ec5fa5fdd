"""``connect-contact-defaults plan|drift``: what a deployment will do to contacts, before it runs.

- ``cloud_assembly``: the stacks, templates and file assets of a ``cdk synth`` output.
- ``deployed_stacks``: the deployed template of a stack (CloudFormation GetTemplate, or a file).
- ``template_values``: intrinsic functions of a template resolved for the stack's environment.
- ``planned_changes``: the Lambda's read-and-plan step for one contact, with a read-only Connect client.
- ``resource_plans``: which operation CloudFormation will send each resource, and its planned contacts.
- ``plan_report``: the text and JSON output.
- ``command``: the command line.

Nothing here imports aws-cdk-lib: the command starts in well under a second.
"""
