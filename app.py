#!/usr/bin/env python3
"""CDK entry point: `npx cdk synth -c stage=dev|prod [-c emr_mode=cluster|serverless]`."""

from infra.app import create_app

app, _ = create_app()
app.synth()
