{{/*
The pod of the gateway's Deployment, and of the rollup Deployment
(influxdb.rollupDeployment): (dict "root" $ "rollup" false|true). The
rollup pod has its own labels (sag.rollupLabels, outside the Service's and
the autoscaler's selector), INFLUX_ROLLUP=true, and its own resources when
set.
*/}}
{{- define "sag.pod" -}}
{{- $root := .root }}
{{- $rollup := .rollup -}}
metadata:
  annotations:
    # A changed setting rolls the pods (the gateway reads its environment once).
    checksum/config: {{ include (print $root.Template.BasePath "/configmap.yaml") $root | sha256sum }}
    {{- with $root.Values.podAnnotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  labels:
    {{- include (ternary "sag.rollupLabels" "sag.labels" $rollup) $root | nindent 4 }}
    {{- with $root.Values.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  serviceAccountName: {{ include "sag.serviceAccountName" $root }}
  # The gateway calls no Kubernetes API.
  automountServiceAccountToken: false
  {{- with $root.Values.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $root.Values.priorityClassName }}
  priorityClassName: {{ . }}
  {{- end }}
  securityContext:
    {{- toYaml $root.Values.podSecurityContext | nindent 4 }}
  terminationGracePeriodSeconds: {{ $root.Values.terminationGracePeriodSeconds }}
  containers:
    - name: gateway
      image: {{ include "sag.image" $root | quote }}
      imagePullPolicy: {{ $root.Values.image.pullPolicy }}
      securityContext:
        {{- toYaml $root.Values.securityContext | nindent 8 }}
      ports:
        - name: http
          containerPort: {{ $root.Values.containerPort }}
          protocol: TCP
        {{- if $root.Values.forward.enabled }}
        - name: forward
          containerPort: {{ $root.Values.forward.port }}
          protocol: TCP
        {{- end }}
      envFrom:
        - configMapRef:
            name: {{ include "sag.fullname" $root }}
        {{- with $root.Values.extraEnvFrom }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      {{- $secretEnv := include "sag.secretEnv" $root | trim }}
      {{- if or $rollup $secretEnv }}
      env:
        {{- if $rollup }}
        # This pod runs the tier rollups; the replicas behind the Service follow it.
        - name: INFLUX_ROLLUP
          value: "true"
        {{- end }}
        {{- with $secretEnv }}
        {{- . | nindent 8 }}
        {{- end }}
      {{- end }}
      startupProbe:
        httpGet:
          path: /health
          port: http
        periodSeconds: {{ $root.Values.probes.startup.periodSeconds }}
        timeoutSeconds: {{ $root.Values.probes.startup.timeoutSeconds }}
        failureThreshold: {{ $root.Values.probes.startup.failureThreshold }}
      livenessProbe:
        httpGet:
          path: /health
          port: http
        periodSeconds: {{ $root.Values.probes.liveness.periodSeconds }}
        timeoutSeconds: {{ $root.Values.probes.liveness.timeoutSeconds }}
        failureThreshold: {{ $root.Values.probes.liveness.failureThreshold }}
      readinessProbe:
        httpGet:
          path: /ready
          port: http
        periodSeconds: {{ $root.Values.probes.readiness.periodSeconds }}
        timeoutSeconds: {{ $root.Values.probes.readiness.timeoutSeconds }}
        failureThreshold: {{ $root.Values.probes.readiness.failureThreshold }}
      {{- if gt (int $root.Values.preStopSleepSeconds) 0 }}
      lifecycle:
        # Keep serving while the endpoint removal reaches every proxy;
        # SIGTERM (graceful drain) follows.
        preStop:
          exec:
            command: ["sleep", "{{ $root.Values.preStopSleepSeconds }}"]
      {{- end }}
      resources:
        {{- toYaml (ternary (default $root.Values.resources $root.Values.influxdb.rollupDeployment.resources) $root.Values.resources $rollup) | nindent 8 }}
      volumeMounts:
        - name: data
          mountPath: /var/lib/gateway
        - name: tmp
          mountPath: /tmp
        {{- if $root.Values.auth.tokens.existingSecret }}
        - name: tokens
          mountPath: /etc/gateway/tokens
          readOnly: true
        {{- end }}
        {{- if $root.Values.auth.jwt.publicKey.existingSecret }}
        - name: jwt-key
          mountPath: /etc/gateway/jwt
          readOnly: true
        {{- end }}
        {{- if and (eq $root.Values.config.uveStore "opensearch") $root.Values.opensearch.ca.existingSecret }}
        - name: opensearch-ca
          mountPath: /etc/gateway/opensearch-ca
          readOnly: true
        {{- end }}
        {{- if and $root.Values.forward.enabled $root.Values.forward.users.existingSecret }}
        - name: forward-users
          mountPath: /etc/gateway/forward-users
          readOnly: true
        {{- end }}
        {{- if and $root.Values.forward.enabled $root.Values.forward.tls.existingSecret }}
        - name: forward-tls
          mountPath: /etc/gateway/forward-tls
          readOnly: true
        {{- end }}
        {{- with $root.Values.extraVolumeMounts }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
  volumes:
    - name: data
      {{- $claim := include "sag.claimName" $root }}
      {{- if $claim }}
      persistentVolumeClaim:
        claimName: {{ $claim }}
      {{- else }}
      emptyDir:
        sizeLimit: {{ $root.Values.dataSizeLimit }}
      {{- end }}
    - name: tmp
      emptyDir:
        sizeLimit: {{ $root.Values.tmpSizeLimit }}
    {{- if $root.Values.auth.tokens.existingSecret }}
    # A directory (not subPath), so an edit of the Secret reaches the pod.
    - name: tokens
      secret:
        secretName: {{ $root.Values.auth.tokens.existingSecret }}
        items:
          - key: {{ $root.Values.auth.tokens.key }}
            path: {{ $root.Values.auth.tokens.key }}
    {{- end }}
    {{- if and $root.Values.forward.enabled $root.Values.forward.users.existingSecret }}
    - name: forward-users
      secret:
        secretName: {{ $root.Values.forward.users.existingSecret }}
        items:
          - key: {{ $root.Values.forward.users.key }}
            path: {{ $root.Values.forward.users.key }}
    {{- end }}
    {{- if and $root.Values.forward.enabled $root.Values.forward.tls.existingSecret }}
    - name: forward-tls
      secret:
        secretName: {{ $root.Values.forward.tls.existingSecret }}
    {{- end }}
    {{- if $root.Values.auth.jwt.publicKey.existingSecret }}
    - name: jwt-key
      secret:
        secretName: {{ $root.Values.auth.jwt.publicKey.existingSecret }}
        items:
          - key: {{ $root.Values.auth.jwt.publicKey.key }}
            path: {{ $root.Values.auth.jwt.publicKey.key }}
    {{- end }}
    {{- if and (eq $root.Values.config.uveStore "opensearch") $root.Values.opensearch.ca.existingSecret }}
    - name: opensearch-ca
      secret:
        secretName: {{ $root.Values.opensearch.ca.existingSecret }}
        items:
          - key: {{ $root.Values.opensearch.ca.key }}
            path: {{ $root.Values.opensearch.ca.key }}
    {{- end }}
    {{- with $root.Values.extraVolumes }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- with $root.Values.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $root.Values.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $root.Values.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $root.Values.topologySpreadConstraints }}
  topologySpreadConstraints:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}
